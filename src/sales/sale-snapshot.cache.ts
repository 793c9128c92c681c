import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { LRUCache } from 'lru-cache';
import { Model, Types } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import { SaleEvents, type SaleEventKind } from './events/sale-events';
import { Sale, type StoredSale } from './schemas/sale.schema';

const MISSING = Symbol('missing sale');
type Entry = StoredSale | typeof MISSING;

/** Sales written before stockRevision existed have none: they are at revision 0. */
const revisionOf = (sale: StoredSale) => sale.stockRevision ?? 0;

/** Shared reads superseded in a row before a caller reads on its own. */
const SHARED_READ_ROUNDS = 5;

/** The abort reasons lru-cache gives an in-flight fetch whose entry changed under it. */
const isSuperseded = (error: unknown) =>
  error instanceof Error && ['deleted', 'replaced'].includes(error.message);

/**
 * An in-process view of each sale, at most SALE_CACHE_TTL_MS old, used only to answer doomed purchase
 * attempts (sold out, not started, ended, unknown sale) without touching the database. It never accepts a
 * purchase: the conditional decrement in the database does. Concurrent misses share one read.
 * A sale-state event from any instance drops the sale's entry, so the next attempt re-reads instead of
 * refusing from a stale view for up to SALE_CACHE_TTL_MS (a manual activation, stock coming back).
 */
@Injectable()
export class SaleSnapshotCache {
  private readonly cache: LRUCache<string, Entry>;
  /**
   * The newest stockRevision seen per sale, by a read, a write's reply or an event; kept when the entry
   * is dropped, so that an answer read before a recount cannot put the older view back afterwards.
   */
  private readonly newestRevision = new LRUCache<string, number>({ max: 10_000 });

  constructor(
    @InjectModel(Sale.name) private readonly sales: Model<Sale>,
    config: ConfigService<EnvironmentVariables, true>,
    events: SaleEvents,
  ) {
    this.cache = new LRUCache<string, Entry>({
      max: 10_000,
      ttl: Math.max(1, config.get('SALE_CACHE_TTL_MS', { infer: true })),
      fetchMethod: (id) => this.read(id),
    });
    events.subscribe(({ saleId, kind, revision }) => {
      if (revision !== undefined) this.noteRevision(saleId, revision);
      if (!this.alreadyShows(saleId, kind)) this.cache.delete(saleId);
    });
  }

  /**
   * The sale as memory holds it now, without waiting: null when it is known not to exist, undefined
   * when only a read can tell (not cached, expired or being read).
   */
  known(id: string): StoredSale | null | undefined {
    const entry = this.cache.get(id);
    return entry === MISSING ? null : entry;
  }

  /**
   * The sale, read through the cache. lru-cache rejects a read whose entry was dropped (an event) or
   * replaced (remember()) while it was in flight: what it would have returned may predate that change,
   * so it is read again, however often that happens. A storm of events can keep superseding the shared
   * read, so after a few rounds this caller reads on its own, past the cache: never a 500.
   */
  async get(id: string): Promise<StoredSale | null> {
    for (let round = 1; round <= SHARED_READ_ROUNDS; round += 1) {
      try {
        const entry = await this.cache.fetch(id);
        return entry === undefined || entry === MISSING ? null : entry;
      } catch (error) {
        if (!isSuperseded(error)) throw error;
      }
    }
    const entry = await this.read(id);
    return entry === MISSING ? null : entry;
  }

  /**
   * An accepted purchase leaves the entry alone: during a storm the view "open, some left" stays right,
   * and dropping it per purchase would turn every attempt into a read (the one that sells out is
   * published as `sold_out`). A sold-out view is kept on `sold_out`: the instance that sold the last
   * unit remembered it before its own event came back, and it keeps answering from memory.
   */
  private alreadyShows(saleId: string, kind: SaleEventKind): boolean {
    if (kind === 'purchase') return true;
    const entry = this.cache.peek(saleId);
    return (
      kind === 'sold_out' &&
      entry !== undefined &&
      entry !== MISSING &&
      entry.remainingQuantity <= 0
    );
  }

  private async read(id: string): Promise<Entry> {
    const sale = await this.sales.findById(new Types.ObjectId(id)).lean<StoredSale>().exec();
    if (!sale) return MISSING;
    this.noteRevision(id, revisionOf(sale));
    return sale;
  }

  /**
   * Keeps a view the caller just got (the document a write returned, a re-read), unless memory has
   * already holds a newer one, or (when the entry was dropped) has heard of one: answers arrive out of
   * order (a re-read answered after a recount's stock_back), and the older view must not come back.
   */
  remember(sale: StoredSale): void {
    const id = sale._id.toHexString();
    const revision = revisionOf(sale);
    const held = this.cache.peek(id);
    const newest =
      held !== undefined && held !== MISSING
        ? revisionOf(held)
        : (this.newestRevision.get(id) ?? 0);
    if (revision < newest) return;
    this.noteRevision(id, revision);
    this.cache.set(id, sale);
  }

  private noteRevision(id: string, revision: number): void {
    if (revision > (this.newestRevision.get(id) ?? -1)) this.newestRevision.set(id, revision);
  }
}
