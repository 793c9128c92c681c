import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type FilterQuery } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { SaleEvents, type SaleEventKind } from './events/sale-events';
import { Sale } from './schemas/sale.schema';

/** Sales moved per step per tick; more wait for the next tick (a second later). */
const SWEEP_BATCH = 1_000;

export interface LifecycleChanges {
  ended: number;
  activated: number;
  soldOut: number;
  reopened: number;
}

/** The stored status transitions, each a single conditional updateMany that is safe to run anywhere. */
@Injectable()
export class SaleLifecycleService {
  constructor(
    @InjectModel(Sale.name) private readonly sales: Model<Sale>,
    private readonly steps: DatabaseSteps,
    private readonly events: SaleEvents,
  ) {}

  /**
   * Reads the ids the step applies to, then updates those of them that still match: the update stays
   * one conditional updateMany (safe against any other writer), and the sales it may have moved are
   * known, so each is published. An id another instance moved first is published twice: harmless,
   * subscribers re-read. Nothing matching costs one indexed read instead of one updateMany.
   */
  private async sweep(
    step: string,
    filter: FilterQuery<Sale>,
    set: object,
    kind: SaleEventKind,
  ): Promise<{ modifiedCount: number }> {
    const ids = await this.steps.run(`lifecycle.${step}.find`, () =>
      this.sales
        .find(filter, { _id: 1 })
        .limit(SWEEP_BATCH)
        .lean<{ _id: Types.ObjectId }[]>()
        .exec(),
    );
    if (ids.length === 0) return { modifiedCount: 0 };
    const _id = { $in: ids.map((sale) => sale._id) };
    const result = await this.steps.run(`lifecycle.${step}`, () =>
      this.sales.updateMany({ ...filter, _id }, { $set: set }).exec(),
    );
    if (result.modifiedCount > 0) {
      for (const sale of ids) this.events.publish({ saleId: sale._id.toHexString(), kind });
    }
    return result;
  }

  async advance(now: Date): Promise<LifecycleChanges> {
    // Ending first: a sale whose whole window passed while the service was down goes straight to ended.
    const ended = await this.sweep(
      'end',
      { status: { $ne: 'ended' }, endTime: { $lte: now } },
      { status: 'ended' },
      'ended',
    );
    const activated = await this.sweep(
      'activate',
      {
        status: 'scheduled',
        startTime: { $lte: now },
        $or: [{ endTime: null }, { endTime: { $gt: now } }],
      },
      { status: 'active', activatedAt: now },
      'activated',
    );
    // A take that ran the stock out leaves the status to this sweep; a recount can bring stock back.
    const soldOut = await this.sweep(
      'markSoldOut',
      { status: { $in: ['scheduled', 'active'] }, remainingQuantity: { $lte: 0 } },
      { status: 'sold_out' },
      'sold_out',
    );
    const reopened = await this.sweep(
      'reopen',
      { status: 'sold_out', remainingQuantity: { $gt: 0 } },
      { status: 'active' },
      'stock_back',
    );
    return {
      ended: ended.modifiedCount,
      activated: activated.modifiedCount,
      soldOut: soldOut.modifiedCount,
      reopened: reopened.modifiedCount,
    };
  }
}
