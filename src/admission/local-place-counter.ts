import {
  boundFor,
  IDLE_RESET_MS,
  type Limits,
  type Place,
  type PlaceCounter,
} from './place-counter';

interface SaleCount {
  held: number;
  stock: number;
  /** When `held` last dropped to zero. */
  idleSince: number;
}

/** How often sales idle for longer than IDLE_RESET_MS are forgotten. */
const PRUNE_EVERY_MS = 60_000;

/** The in-process count: one instance, or any instance while Redis fails. Synchronous, so order is kept. */
export class LocalPlaceCounter implements PlaceCounter {
  private readonly sales = new Map<string, SaleCount>();
  private readonly pruner = setInterval(() => this.prune(), PRUNE_EVERY_MS).unref();
  private nextId = 0;

  constructor(private readonly now: () => number = Date.now) {}

  take(saleId: string, view: number, limits: Limits): Place | null {
    const count = this.countOf(saleId, view);
    count.stock = Math.min(count.stock, view);
    if (count.held > 0 && count.held >= boundFor(count.stock, limits)) return null;
    count.held += 1;
    this.nextId += 1;
    return { id: `local-${this.nextId}`, saleId, shared: false };
  }

  give(place: Place, soldUnits: number): void {
    const count = this.sales.get(place.saleId);
    if (!count) return;
    count.held = Math.max(0, count.held - 1);
    count.stock -= soldUnits;
    if (count.held === 0) count.idleSince = this.now();
  }

  recount(saleId: string, remaining: number): void {
    const count = this.sales.get(saleId);
    if (count) count.stock = remaining;
  }

  /** Attempts in flight for a sale (tests and the bench read it). */
  held(saleId: string): number {
    return this.sales.get(saleId)?.held ?? 0;
  }

  close(): void {
    clearInterval(this.pruner);
  }

  private countOf(saleId: string, view: number): SaleCount {
    const known = this.sales.get(saleId);
    if (known && (known.held > 0 || this.now() - known.idleSince < IDLE_RESET_MS)) return known;
    const fresh = { held: 0, stock: view, idleSince: this.now() };
    this.sales.set(saleId, fresh);
    return fresh;
  }

  private prune(): void {
    const now = this.now();
    for (const [saleId, count] of this.sales) {
      if (count.held === 0 && now - count.idleSince >= IDLE_RESET_MS) this.sales.delete(saleId);
    }
  }
}
