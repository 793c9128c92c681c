/** A value now, or a promise of it when it takes a round trip. */
export type MaybeLater<T> = T | Promise<T>;

/** The bound per sale: `min(stock + margin, maxInFlight)` attempts in flight at once. */
export interface Limits {
  margin: number;
  maxInFlight: number;
}

/** How many places the bound allows for a stock estimate. */
export const boundFor = (stock: number, limits: Limits) =>
  Math.min(Math.max(stock, 0) + limits.margin, limits.maxInFlight);

/** One admitted attempt's place in flight. `shared`: counted in Redis, so given back there. */
export interface Place {
  readonly id: string;
  readonly saleId: string;
  readonly shared: boolean;
}

/**
 * Counts the attempts in flight per sale against the bound `min(stock + margin, maxInFlight)`. `stock` is the counter's
 * estimate of the units left: the lowest view it was shown (a snapshot of the sale), less the units that
 * attempts it admitted have bought since. The estimate may run low, never high for long: a low one only
 * admits fewer at once, and a sale with nothing in flight always admits one, so no line can stall.
 */
export interface PlaceCounter {
  /** A place if fewer than the bound are held (or none at all), else null. */
  take(saleId: string, view: number, limits: Limits): MaybeLater<Place | null>;
  /** Gives a place back; `soldUnits` (bought by its attempt) leave the stock estimate. */
  give(place: Place, soldUnits: number): void;
  /** The stock as the database counted it at a quiet moment (the reconciler's recount). */
  recount(saleId: string, remaining: number): void;
}

/** A sale whose line stood empty this long starts again from the view it is shown. */
export const IDLE_RESET_MS = 2_000;
