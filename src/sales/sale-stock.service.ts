import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type ClientSession } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { SaleEvents } from './events/sale-events';
import { openSaleFilter } from './sale-state';
import { Sale, type SaleStatus, type StoredSale } from './schemas/sale.schema';

/**
 * What the reconciler read before recounting: every field the recount computes from or must not
 * overwrite. Its write applies only if none of them changed.
 */
export type ObservedSale = Pick<
  StoredSale,
  | '_id'
  | 'totalQuantity'
  | 'remainingQuantity'
  | 'soldQuantity'
  | 'acceptedSeq'
  | 'stockRevision'
  | 'status'
  | 'startTime'
  | 'endTime'
>;

/** The status that goes with the recounted stock: sold out exactly when nothing is left. */
function statusAfterRecount(status: SaleStatus, remaining: number): SaleStatus {
  if (status === 'sold_out' && remaining > 0) return 'active';
  if ((status === 'active' || status === 'scheduled') && remaining === 0) return 'sold_out';
  return status;
}

/**
 * Every write to a sale's stock counters. Units leave only through a conditional `$inc` guarded by the
 * stock and the open-sale rule (the scheduler's sweep then marks a sale that ran out `sold_out`; readers
 * derive the status from the counters meanwhile), evaluated by the database atomically with the write; they come back only
 * through the reconciler's recount, guarded on the counters it read. Nothing else moves them, so no
 * interleaving of requests, reconcilers or instances can sell a unit twice. docs/purchase-algorithm.md.
 */
@Injectable()
export class SaleStockService {
  constructor(
    @InjectModel(Sale.name) private readonly sales: Model<Sale>,
    private readonly steps: DatabaseSteps,
    private readonly events: SaleEvents,
  ) {}

  /**
   * Takes `quantity` units if the sale is open at `now` and has them; returns the sale after the write
   * (its `acceptedSeq` is this purchase's place in line, its `lastAcceptedAt` the purchase's time), or
   * null when the database said no. The time never goes backwards along the line, whichever instance's
   * clock stamped it: a take whose `now` is not behind the last accepted one stamps `now`; one whose
   * clock is behind (another instance's, or a request overtaken in flight) keeps the later time. Two
   * guarded writes do what `$max` would (which the offline stand-in lacks), each atomic; the second runs
   * only when the first missed, and cannot miss on the clock since the time only moves forward.
   */
  async takeUnits(
    saleId: Types.ObjectId,
    quantity: number,
    now: Date,
    session?: ClientSession,
  ): Promise<StoredSale | null> {
    const filter = { _id: saleId, ...openSaleFilter(now), remainingQuantity: { $gte: quantity } };
    const take = {
      remainingQuantity: -quantity,
      soldQuantity: quantity,
      acceptedSeq: 1,
      stockRevision: 1,
    };
    const options = { new: true, session };
    return (
      (await this.steps.run('sales.take', () =>
        this.sales
          .findOneAndUpdate(
            { ...filter, lastAcceptedAt: { $not: { $gt: now } } },
            { $inc: take, $set: { lastAcceptedAt: now, auditDue: true } },
            options,
          )
          .lean<StoredSale>()
          .exec(),
      )) ??
      (await this.steps.run('sales.takeBehindClock', () =>
        this.sales
          .findOneAndUpdate(
            { ...filter, lastAcceptedAt: { $gt: now } },
            { $inc: take, $set: { auditDue: true } },
            options,
          )
          .lean<StoredSale>()
          .exec(),
      ))
    );
  }

  async findById(saleId: Types.ObjectId, session?: ClientSession): Promise<StoredSale | null> {
    return this.steps.run('sales.findById', () =>
      this.sales.findById(saleId, null, { session }).lean<StoredSale>().exec(),
    );
  }

  /** Sales with takes not yet checked against their confirmed purchases (`session`: the audit's reads). */
  async findAuditDue(limit: number, session?: ClientSession): Promise<StoredSale[]> {
    return this.steps.run('sales.findAuditDue', () =>
      this.sales
        .find({ auditDue: true }, null, { session })
        .limit(limit)
        .lean<StoredSale[]>()
        .exec(),
    );
  }

  /**
   * Sets the counters to `confirmedUnits` (the sum of the sale's confirmed purchases, read after
   * `observed` at a moment with no attempt in flight), only if nothing the recount computes from or
   * would overwrite changed since `observed` was read: any take moves acceptedSeq and stockRevision, a
   * status change the status, an edit the total or the times. Returns false when the sale moved on;
   * the reconciler then simply tries again on a later tick.
   */
  async recount(observed: ObservedSale, confirmedUnits: number): Promise<boolean> {
    const remaining = observed.totalQuantity - confirmedUnits;
    const status = statusAfterRecount(observed.status, remaining);
    const result = await this.steps.run('sales.recount', () =>
      this.sales
        .updateOne(recountGuard(observed), {
          $set: {
            soldQuantity: confirmedUnits,
            remainingQuantity: remaining,
            status,
            auditDue: false,
          },
          $inc: { stockRevision: 1 },
        })
        .exec(),
    );
    const moved = remaining !== observed.remainingQuantity || status !== observed.status;
    if (result.matchedCount === 1 && moved) {
      this.events.publish({
        saleId: observed._id.toHexString(),
        kind: remaining > 0 ? 'stock_back' : 'sold_out',
        revision: (observed.stockRevision ?? 0) + 1,
      });
    }
    return result.matchedCount === 1;
  }
}

/** The sale exactly as observed, in every field the recount reads. `null` also matches a missing field. */
function recountGuard(observed: ObservedSale) {
  return {
    _id: observed._id,
    totalQuantity: observed.totalQuantity,
    soldQuantity: observed.soldQuantity,
    remainingQuantity: observed.remainingQuantity,
    acceptedSeq: observed.acceptedSeq,
    stockRevision: observed.stockRevision ?? null,
    status: observed.status,
    startTime: observed.startTime,
    endTime: observed.endTime ?? null,
  };
}
