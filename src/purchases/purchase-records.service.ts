import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type ClientSession } from 'mongoose';
import { DatabaseSteps } from '../database/database-steps';
import { Purchase, type StoredPurchase } from './schemas/purchase.schema';

export type NewPurchase = Pick<
  Purchase,
  'saleId' | 'userId' | 'username' | 'saleName' | 'productName' | 'quantity'
>;

export type LeaderboardRow = Pick<StoredPurchase, 'username' | 'quantity' | 'purchasedAt'>;

/** Owns the purchases collection: every read and write of it goes through here. */
@Injectable()
export class PurchaseRecordsService {
  constructor(
    @InjectModel(Purchase.name) private readonly purchases: Model<Purchase>,
    private readonly steps: DatabaseSteps,
  ) {}

  /** The caller picks the id, so it can let go of the record even when the insert's reply is lost. */
  async insertPending(
    id: Types.ObjectId,
    purchase: NewPurchase,
    attemptedAt: Date,
  ): Promise<StoredPurchase> {
    const created = await this.steps.run('purchases.reserve', () =>
      this.purchases.create({ _id: id, ...purchase, state: 'pending', attemptedAt }),
    );
    return created.toObject();
  }

  async insertConfirmed(
    purchase: NewPurchase,
    seq: number,
    at: { attempted: Date; purchased: Date },
    session: ClientSession,
  ): Promise<StoredPurchase> {
    const [created] = await this.steps.run('purchases.insertConfirmed', () =>
      this.purchases.create(
        [
          {
            ...purchase,
            state: 'confirmed',
            seq,
            attemptedAt: at.attempted,
            purchasedAt: at.purchased,
          },
        ],
        { session },
      ),
    );
    return created.toObject();
  }

  /** Confirms only a record that is still pending: the reconciler may have given up on it. */
  async confirm(id: Types.ObjectId, seq: number, purchasedAt: Date): Promise<boolean> {
    const result = await this.steps.run('purchases.confirm', () =>
      this.purchases
        .updateOne(
          { _id: id, state: 'pending' },
          { $set: { state: 'confirmed', seq, purchasedAt } },
        )
        .exec(),
    );
    return result.modifiedCount === 1;
  }

  /** Deletes a still-pending record; whoever gets `true` owns whatever the attempt left behind. */
  async deletePending(id: Types.ObjectId): Promise<boolean> {
    const result = await this.steps.run('purchases.deletePending', () =>
      this.purchases.deleteOne({ _id: id, state: 'pending' }).exec(),
    );
    return result.deletedCount === 1;
  }

  async findById(id: Types.ObjectId): Promise<StoredPurchase | null> {
    return this.steps.run('purchases.findById', () =>
      this.purchases.findById(id).lean<StoredPurchase>().exec(),
    );
  }

  /** A point read by the unique (saleId, userId) index: at most one document. */
  async findBySaleAndUser(
    saleId: Types.ObjectId,
    userId: Types.ObjectId,
  ): Promise<StoredPurchase | null> {
    return this.steps.run('purchases.findBySaleAndUser', () =>
      this.purchases.findOne({ saleId, userId }).lean<StoredPurchase>().exec(),
    );
  }

  async listConfirmedForUser(userId: Types.ObjectId, limit: number): Promise<StoredPurchase[]> {
    return this.purchases
      .find({ userId, state: 'confirmed' })
      .sort({ purchasedAt: -1 })
      .limit(limit)
      .lean<StoredPurchase[]>()
      .exec();
  }

  /** The leaderboard page query, exposed so a test can explain() exactly what the API runs. */
  leaderboardQuery(saleId: Types.ObjectId, skip: number, limit: number) {
    return this.purchases
      .find({ saleId, state: 'confirmed' }, { _id: 0, username: 1, quantity: 1, purchasedAt: 1 })
      .sort({ seq: 1, _id: 1 })
      .skip(skip)
      .limit(limit);
  }

  async leaderboardPage(saleId: Types.ObjectId, skip: number, limit: number) {
    return this.leaderboardQuery(saleId, skip, limit).lean<LeaderboardRow[]>().exec();
  }

  async countConfirmed(saleId: Types.ObjectId): Promise<number> {
    return this.purchases.countDocuments({ saleId, state: 'confirmed' }).exec();
  }

  async countPending(saleId: Types.ObjectId, session?: ClientSession): Promise<number> {
    return this.steps.run('purchases.countPending', () =>
      this.purchases.countDocuments({ saleId, state: 'pending' }, { session }).exec(),
    );
  }

  async sumConfirmedUnits(saleId: Types.ObjectId, session?: ClientSession): Promise<number> {
    const [row] = await this.steps.run('purchases.sumConfirmed', () =>
      this.purchases
        .aggregate<{ units: number }>([
          { $match: { saleId, state: 'confirmed' } },
          { $group: { _id: null, units: { $sum: '$quantity' } } },
        ])
        .session(session ?? null)
        .exec(),
    );
    return row?.units ?? 0;
  }

  async findAbandoned(olderThan: Date, limit: number): Promise<StoredPurchase[]> {
    return this.steps.run('purchases.findAbandoned', () =>
      this.purchases
        .find({ state: 'pending', attemptedAt: { $lt: olderThan } })
        .limit(limit)
        .lean<StoredPurchase[]>()
        .exec(),
    );
  }
}
