import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import { Types } from 'mongoose';
import { SingleFlight } from '../common/concurrency/single-flight';
import type { EnvironmentVariables } from '../config/env.validation';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { PurchaseDto } from './dto/purchase.dto';
import { PurchaseRecordsService } from './purchase-records.service';
import { toPurchaseDto } from './purchase.mapper';

/** What a buyer's earlier attempt shows: the purchase, or that it is still being decided (since when). */
export type EarlierAttempt = PurchaseDto | { inProgress: true; attemptedAt: Date };

interface Answer {
  /** The sale's counters when the buyer's record was read: any later take changes them. */
  acceptedSeq: number;
  soldQuantity: number;
  attempt: EarlierAttempt | null;
  /**
   * 0 when the record was settled (none, or confirmed) at the read; else when it must be read again,
   * since a pending attempt's outcome can change without the counters moving.
   */
  unsettledUntil: number;
}

/**
 * (sale, buyer) answers kept at once. About 200 bytes each, so at most ~20 MB: room for every
 * loser of several sold-out flash sales retrying, and an attacker cycling sales evicts only the oldest.
 */
const MAX_ANSWERS = 100_000;

/**
 * Whether a buyer already bought in a sale that refuses everyone else (sold out, too little stock,
 * ended), so that such a buyer's retry is answered ALREADY_PURCHASED, as a frontend expects.
 *
 * One point read by the unique (saleId, userId) index per buyer and sale state, remembered per buyer:
 * a refused attempt costs at most one command reading at most one document, however many bought and
 * however many sales an attacker cycles through, and a retry of the same state costs none. (Reading a
 * sale's whole buyer list served every loser from one read, but an attacker cycling more sales than
 * were kept made every attempt read a whole list.) Every take moves acceptedSeq, and every taker's
 * record exists before its take, so a record read after seeing the counters is the buyer's state up to
 * them. A pending record makes the answer provisional for SALE_CACHE_TTL_MS.
 */
@Injectable()
export class SaleBuyersIndex {
  private readonly answers = new LRUCache<string, Answer>({ max: MAX_ANSWERS });
  private readonly reads = new SingleFlight<Answer>();
  private readonly provisionalMs: number;

  constructor(
    private readonly records: PurchaseRecordsService,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.provisionalMs = config.get('SALE_CACHE_TTL_MS', { infer: true });
  }

  async earlierAttempt(sale: StoredSale, userId: string): Promise<EarlierAttempt | null> {
    const known = this.currentAnswer(sale, userId);
    if (known) return known.attempt;
    const key = keyOf(sale, userId);
    const read = await this.reads.run(`${key}:${sale.acceptedSeq}:${sale.soldQuantity}`, () =>
      this.read(sale, userId),
    );
    this.answers.set(key, read);
    return read.attempt;
  }

  /**
   * The same answer without waiting when the one held describes the sale as it is; undefined when
   * only a read can tell.
   */
  knownAttempt(sale: StoredSale, userId: string): EarlierAttempt | null | undefined {
    return this.currentAnswer(sale, userId)?.attempt;
  }

  private currentAnswer(sale: StoredSale, userId: string): Answer | undefined {
    const known = this.answers.get(keyOf(sale, userId));
    return known && describes(known, sale) ? known : undefined;
  }

  private async read(sale: StoredSale, userId: string): Promise<Answer> {
    const record = await this.records.findBySaleAndUser(sale._id, new Types.ObjectId(userId));
    const pending = record?.state === 'pending';
    return {
      acceptedSeq: sale.acceptedSeq,
      soldQuantity: sale.soldQuantity,
      attempt: !record
        ? null
        : pending
          ? { inProgress: true, attemptedAt: record.attemptedAt }
          : toPurchaseDto(record),
      unsettledUntil: pending ? Date.now() + this.provisionalMs : 0,
    };
  }
}

const keyOf = (sale: StoredSale, userId: string) => `${sale._id.toHexString()}:${userId}`;

const describes = (answer: Answer, sale: StoredSale): boolean =>
  answer.acceptedSeq === sale.acceptedSeq &&
  answer.soldQuantity === sale.soldQuantity &&
  (answer.unsettledUntil === 0 || answer.unsettledUntil > Date.now());
