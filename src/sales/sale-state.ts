import type { SaleStatus } from './schemas/sale.schema';

/** The fields that decide whether a sale is open; pure functions below, shared by API and purchase path. */
export interface SaleTimes {
  status: SaleStatus;
  startTime: Date;
  endTime: Date | null;
  remainingQuantity: number;
}

export type PurchaseBlock = 'SALE_ENDED' | 'SALE_NOT_STARTED' | 'SOLD_OUT' | 'INSUFFICIENT_STOCK';

export const hasEnded = (sale: SaleTimes, now: Date): boolean =>
  sale.status === 'ended' || (sale.endTime !== null && sale.endTime.getTime() <= now.getTime());

/** Manual activation moves startTime to the activation moment, so the start time alone decides. */
export const hasStarted = (sale: SaleTimes, now: Date): boolean =>
  sale.startTime.getTime() <= now.getTime();

/**
 * The status a client should see now: the stored status can lag the clock by up to a scheduler tick,
 * and stock can run out (or come back after a compensation) between ticks.
 */
export function effectiveStatus(sale: SaleTimes, now: Date): SaleStatus {
  if (hasEnded(sale, now)) return 'ended';
  if (sale.remainingQuantity <= 0) return 'sold_out';
  return hasStarted(sale, now) ? 'active' : 'scheduled';
}

/** Why a purchase of `quantity` cannot succeed now, or null when the sale is open with enough stock. */
export function purchaseBlock(sale: SaleTimes, now: Date, quantity: number): PurchaseBlock | null {
  if (hasEnded(sale, now)) return 'SALE_ENDED';
  if (!hasStarted(sale, now)) return 'SALE_NOT_STARTED';
  if (sale.remainingQuantity <= 0) return 'SOLD_OUT';
  if (sale.remainingQuantity < quantity) return 'INSUFFICIENT_STOCK';
  return null;
}

/**
 * The same rule as a MongoDB filter, for the conditional decrement: the database re-checks it atomically
 * with the write, so the purchase path never trusts a cached or stale view.
 */
export function openSaleFilter(now: Date) {
  return {
    status: { $ne: 'ended' as const },
    startTime: { $lte: now },
    $or: [{ endTime: null }, { endTime: { $gt: now } }],
  };
}
