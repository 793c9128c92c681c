import type { ConfigService } from '@nestjs/config';
import { Types, type Model } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import { SaleSnapshotCache } from './sale-snapshot.cache';
import type { Sale, StoredSale } from './schemas/sale.schema';

const config = { get: () => 1_000 } as unknown as ConfigService<EnvironmentVariables, true>;

describe('SaleSnapshotCache', () => {
  it('a view remembered while a read is in flight answers that read (no "replaced" error)', async () => {
    const id = new Types.ObjectId();
    let finishRead!: (sale: StoredSale) => void;
    const sales = {
      findById: () => ({
        lean: () => ({ exec: () => new Promise<StoredSale>((resolve) => (finishRead = resolve)) }),
      }),
    } as unknown as Model<Sale>;
    const cache = new SaleSnapshotCache(sales, config);
    const stale = { _id: id, remainingQuantity: 5 } as StoredSale;
    const fresh = { _id: id, remainingQuantity: 0 } as StoredSale;

    const reading = cache.get(id.toHexString()); // a request waits on the database
    await Promise.resolve();
    cache.remember(fresh); // another request's write returned a newer view meanwhile
    finishRead(stale);
    await expect(reading).resolves.toBe(fresh);
    await expect(cache.get(id.toHexString())).resolves.toBe(fresh);
  });
});
