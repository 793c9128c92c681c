import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { LRUCache } from 'lru-cache';
import { Model, Types } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import { Sale, type StoredSale } from './schemas/sale.schema';

const MISSING = Symbol('missing sale');
type Entry = StoredSale | typeof MISSING;

/**
 * An in-process view of each sale, at most SALE_CACHE_TTL_MS old, used only to answer doomed purchase
 * attempts (sold out, not started, ended, unknown sale) without touching the database. It never accepts a
 * purchase: the conditional decrement in the database does. Concurrent misses share one read.
 */
@Injectable()
export class SaleSnapshotCache {
  private readonly cache: LRUCache<string, Entry>;

  constructor(
    @InjectModel(Sale.name) private readonly sales: Model<Sale>,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.cache = new LRUCache<string, Entry>({
      max: 10_000,
      ttl: Math.max(1, config.get('SALE_CACHE_TTL_MS', { infer: true })),
      fetchMethod: async (id) =>
        (await this.sales.findById(new Types.ObjectId(id)).lean<StoredSale>().exec()) ?? MISSING,
    });
  }

  async get(id: string): Promise<StoredSale | null> {
    const entry = await this.fetch(id);
    return entry === undefined || entry === MISSING ? null : entry;
  }

  /**
   * A remember() while a read of the same sale is in flight aborts that read (lru-cache rejects its
   * waiters with "replaced"): they take the remembered view, which is the fresher one.
   */
  private async fetch(id: string): Promise<Entry | undefined> {
    try {
      return await this.cache.fetch(id);
    } catch (error) {
      const replacement = this.cache.get(id);
      if (replacement === undefined) throw error;
      return replacement;
    }
  }

  /** Record a view fresher than the cached one (e.g. the document a write just returned). */
  remember(sale: StoredSale): void {
    this.cache.set(sale._id.toHexString(), sale);
  }
}
