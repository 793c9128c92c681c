/** What changed; subscribers re-read whatever they need, so an event stays a few bytes. */
export const SALE_EVENT_KINDS = [
  'activated',
  'sold_out',
  'stock_back',
  'ended',
  'purchase',
] as const;
export type SaleEventKind = (typeof SALE_EVENT_KINDS)[number];

export interface SaleEvent {
  saleId: string;
  kind: SaleEventKind;
  /** The sale's stockRevision after the write that caused the event, when the publisher knows it. */
  revision?: number;
}

export type SaleEventListener = (event: SaleEvent) => void;

/**
 * Sale-state changes, fanned out to every subscriber of every instance (through Redis when REDIS_URL is
 * set, in process otherwise). Publishing is fire-and-forget: it never throws and never waits, so no
 * request fails or slows down because of it; an event lost in a Redis outage only costs subscribers
 * the freshness they would otherwise get from SALE_CACHE_TTL_MS and their own timers.
 */
export abstract class SaleEvents {
  abstract publish(event: SaleEvent): void;
  /** Returns the unsubscribe function. */
  abstract subscribe(listener: SaleEventListener): () => void;
}
