import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import { SingleFlight } from '../common/concurrency/single-flight';
import type { EnvironmentVariables } from '../config/env.validation';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { PurchaseDto } from './dto/purchase.dto';
import { PurchaseRecordsService } from './purchase-records.service';
import { toPurchaseDto } from './purchase.mapper';

/** What a buyer's earlier attempt shows: the purchase, or that it is still being decided (since when). */
export type EarlierAttempt = PurchaseDto | { inProgress: true; attemptedAt: Date };

interface Buyers {
  /** The sale's counters when the list was read: any later take changes them. */
  acceptedSeq: number;
  soldQuantity: number;
  byUser: Map<string, EarlierAttempt>;
  /**
   * 0 when no attempt was in flight at the read; else when the list must be read again, since an
   * attempt's outcome can change without the counters moving.
   */
  unsettledUntil: number;
}

/** Sales whose buyers are kept at once; a flash sale has one or a few hot sales. */
const MAX_SALES = 64;

/**
 * Who already bought in a sale that refuses everyone else (sold out, too little stock, ended), so that
 * such a buyer's retry is answered ALREADY_PURCHASED, as a frontend expects, without a database command
 * per refused attempt. The list is read once per sale state: every take moves acceptedSeq, and every
 * taker's record exists before its take, so a list read after seeing the counters holds every buyer up
 * to them. Pending attempts at the read make the list provisional for SALE_CACHE_TTL_MS.
 */
@Injectable()
export class SaleBuyersIndex {
  private readonly lists = new LRUCache<string, Buyers>({ max: MAX_SALES });
  private readonly reads = new SingleFlight<Buyers>();
  private readonly provisionalMs: number;

  constructor(
    private readonly records: PurchaseRecordsService,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.provisionalMs = config.get('SALE_CACHE_TTL_MS', { infer: true });
  }

  async earlierAttempt(sale: StoredSale, userId: string): Promise<EarlierAttempt | null> {
    const buyers = await this.buyersOf(sale);
    return buyers.byUser.get(userId) ?? null;
  }

  /**
   * The same answer without waiting when the list held describes the sale as it is; undefined when
   * only a read can tell.
   */
  knownAttempt(sale: StoredSale, userId: string): EarlierAttempt | null | undefined {
    const known = this.currentList(sale);
    return known ? (known.byUser.get(userId) ?? null) : undefined;
  }

  private async buyersOf(sale: StoredSale): Promise<Buyers> {
    const known = this.currentList(sale);
    if (known) return known;
    const key = sale._id.toHexString();
    const read = await this.reads.run(`${key}:${sale.acceptedSeq}:${sale.soldQuantity}`, () =>
      this.read(sale),
    );
    this.lists.set(key, read);
    return read;
  }

  /** The list held for the sale, when it describes the sale as it is now. */
  private currentList(sale: StoredSale): Buyers | undefined {
    const known = this.lists.get(sale._id.toHexString());
    return known && this.describes(known, sale) ? known : undefined;
  }

  private describes(buyers: Buyers, sale: StoredSale): boolean {
    return (
      buyers.acceptedSeq === sale.acceptedSeq &&
      buyers.soldQuantity === sale.soldQuantity &&
      (buyers.unsettledUntil === 0 || buyers.unsettledUntil > Date.now())
    );
  }

  private async read(sale: StoredSale): Promise<Buyers> {
    const byUser = new Map<string, EarlierAttempt>();
    let pending = false;
    for (const record of await this.records.listAttempts(sale._id)) {
      pending ||= record.state === 'pending';
      byUser.set(
        record.userId.toHexString(),
        record.state === 'confirmed'
          ? toPurchaseDto(record)
          : { inProgress: true, attemptedAt: record.attemptedAt },
      );
    }
    return {
      acceptedSeq: sale.acceptedSeq,
      soldQuantity: sale.soldQuantity,
      byUser,
      unsettledUntil: pending ? Date.now() + this.provisionalMs : 0,
    };
  }
}
