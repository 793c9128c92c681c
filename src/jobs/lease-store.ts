import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/errors/mongo-errors';
import type { LeaseStore } from './lease-keeper';
import type { Lease } from './schemas/lease.schema';

/**
 * The lease as one MongoDB document, taken and renewed by a single conditional update: it matches only
 * when this holder has it or it has expired. The first taker inserts it (upsert); when the document
 * exists but matches neither condition, the upsert's insert hits the `_id` and fails with a duplicate
 * key, which means "someone else holds it" (also the loser of two racing first takers).
 */
export class MongoLeaseStore implements LeaseStore {
  constructor(
    private readonly leases: Model<Lease>,
    private readonly name: string,
  ) {}

  async take(holder: string, now: Date, expiresAt: Date): Promise<boolean> {
    try {
      await this.leases
        .updateOne(
          { _id: this.name, $or: [{ holder }, { expiresAt: { $lte: now } }] },
          { $set: { holder, expiresAt } },
          { upsert: true },
        )
        .exec();
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  async release(holder: string, now: Date): Promise<void> {
    await this.leases.updateOne({ _id: this.name, holder }, { $set: { expiresAt: now } }).exec();
  }
}
