import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { Sale } from './schemas/sale.schema';

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
  ) {}

  private sweep(step: string, filter: object, set: object) {
    return this.steps.run(`lifecycle.${step}`, () =>
      this.sales.updateMany(filter, { $set: set }).exec(),
    );
  }

  async advance(now: Date): Promise<LifecycleChanges> {
    // Ending first: a sale whose whole window passed while the service was down goes straight to ended.
    const ended = await this.sweep(
      'end',
      { status: { $ne: 'ended' }, endTime: { $lte: now } },
      { status: 'ended' },
    );
    const activated = await this.sweep(
      'activate',
      {
        status: 'scheduled',
        startTime: { $lte: now },
        $or: [{ endTime: null }, { endTime: { $gt: now } }],
      },
      { status: 'active', activatedAt: now },
    );
    // A take that ran the stock out leaves the status to this sweep; a recount can bring stock back.
    const soldOut = await this.sweep(
      'markSoldOut',
      { status: { $in: ['scheduled', 'active'] }, remainingQuantity: { $lte: 0 } },
      { status: 'sold_out' },
    );
    const reopened = await this.sweep(
      'reopen',
      { status: 'sold_out', remainingQuantity: { $gt: 0 } },
      { status: 'active' },
    );
    return {
      ended: ended.modifiedCount,
      activated: activated.modifiedCount,
      soldOut: soldOut.modifiedCount,
      reopened: reopened.modifiedCount,
    };
  }
}
