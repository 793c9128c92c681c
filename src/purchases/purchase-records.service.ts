import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type ClientSession } from 'mongoose';
import { Purchase, type StoredPurchase } from './schemas/purchase.schema';

export type NewPurchase = Pick<
  Purchase,
  'saleId' | 'userId' | 'username' | 'saleName' | 'productName' | 'quantity'
>;

export type LeaderboardRow = Pick<StoredPurchase, 'username' | 'quantity' | 'purchasedAt'>;

/** Owns the purchases collection: every read and write of it goes through here. */
@Injectable()
export class PurchaseRecordsService {
  constructor(@InjectModel(Purchase.name) private readonly purchases: Model<Purchase>) {}

  async insertPending(purchase: NewPurchase, attemptedAt: Date): Promise<StoredPurchase> {
    const created = await this.purchases.create({ ...purchase, state: 'pending', attemptedAt });
    return created.toObject();
  }

  async insertConfirmed(
    purchase: NewPurchase,
    seq: number,
    at: Date,
    session: ClientSession,
  ): Promise<StoredPurchase> {
    const [created] = await this.purchases.create(
      [{ ...purchase, state: 'confirmed', seq, attemptedAt: at, purchasedAt: at }],
      { session },
    );
    return created.toObject();
  }

  /** Confirms only a record that is still pending: the reconciler may have given up on it. */
  async confirm(id: Types.ObjectId, seq: number, purchasedAt: Date): Promise<boolean> {
    const result = await this.purchases.updateOne(
      { _id: id, state: 'pending' },
      { $set: { state: 'confirmed', seq, purchasedAt } },
    );
    return result.modifiedCount === 1;
  }

  /** Deletes a still-pending record; whoever gets `true` owns whatever the attempt left behind. */
  async deletePending(id: Types.ObjectId): Promise<boolean> {
    const result = await this.purchases.deleteOne({ _id: id, state: 'pending' });
    return result.deletedCount === 1;
  }

  async findById(id: Types.ObjectId): Promise<StoredPurchase | null> {
    return this.purchases.findById(id).lean<StoredPurchase>().exec();
  }

  async findBySaleAndUser(
    saleId: Types.ObjectId,
    userId: Types.ObjectId,
  ): Promise<StoredPurchase | null> {
    return this.purchases.findOne({ saleId, userId }).lean<StoredPurchase>().exec();
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

  async countPending(saleId: Types.ObjectId): Promise<number> {
    return this.purchases.countDocuments({ saleId, state: 'pending' }).exec();
  }

  async sumConfirmedUnits(saleId: Types.ObjectId): Promise<number> {
    const [row] = await this.purchases
      .aggregate<{ units: number }>([
        { $match: { saleId, state: 'confirmed' } },
        { $group: { _id: null, units: { $sum: '$quantity' } } },
      ])
      .exec();
    return row?.units ?? 0;
  }

  async findAbandoned(olderThan: Date, limit: number): Promise<StoredPurchase[]> {
    return this.purchases
      .find({ state: 'pending', attemptedAt: { $lt: olderThan } })
      .limit(limit)
      .lean<StoredPurchase[]>()
      .exec();
  }
}
