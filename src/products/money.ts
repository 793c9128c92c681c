/** Prices travel as JSON numbers with at most 2 decimals and are stored as integer cents. */
export const toCents = (amount: number): number => Math.round(amount * 100);
export const fromCents = (cents: number): number => cents / 100;

/**
 * Whether `amount` is a whole number of cents, however its text is written (`1e-7`, `5e-324`): a round
 * trip through two decimals needs no text and refuses every amount that is not whole cents.
 */
export const isWholeCents = (amount: unknown): amount is number =>
  typeof amount === 'number' && Number.isFinite(amount) && Number(amount.toFixed(2)) === amount;
