/** Prices travel as JSON numbers with at most 2 decimals and are stored as integer cents. */
export const toCents = (amount: number): number => Math.round(amount * 100);
export const fromCents = (cents: number): number => cents / 100;
