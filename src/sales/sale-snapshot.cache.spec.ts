import type { ConfigService } from '@nestjs/config';
import { Types, type Model } from 'mongoose';
import type { EnvironmentVariables } from '../config/env.validation';
import { LocalSaleEvents } from './events/local-sale-events';
import { SaleSnapshotCache } from './sale-snapshot.cache';
import type { Sale, StoredSale } from './schemas/sale.schema';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const id = new Types.ObjectId();
  let version = 0;
  let hold: Promise<void> = Promise.resolve();
  const findById = jest.fn(() => ({
    lean: () => ({
      exec: async () => {
        version += 1;
        const read = { _id: id, status: `v${version}` } as unknown as StoredSale;
        await hold;
        return read;
      },
    }),
  }));
  const config = { get: () => 60_000 } as unknown as ConfigService<EnvironmentVariables, true>;
  const events = new LocalSaleEvents();
  const cache = new SaleSnapshotCache({ findById } as unknown as Model<Sale>, config, events);
  const holdReads = () => {
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    return release;
  };
  return { id: id.toHexString(), cache, events, findById, holdReads };
}

describe('SaleSnapshotCache', () => {
  it('drops a sale on its state events, so the next read is fresh, but keeps it across purchases', async () => {
    const { id, cache, events, findById } = setup();
    expect(await cache.get(id)).toMatchObject({ status: 'v1' });
    events.publish({ saleId: id, kind: 'purchase' });
    await flush();
    expect(await cache.get(id)).toMatchObject({ status: 'v1' });
    events.publish({ saleId: id, kind: 'activated' });
    await flush();
    expect(await cache.get(id)).toMatchObject({ status: 'v2' });
    expect(findById).toHaveBeenCalledTimes(2);
  });

  it('tells without waiting what it holds: the sale, null for a missing one, undefined while unknown or being read', async () => {
    const { id, cache, events, holdReads } = setup();
    expect(cache.known(id)).toBeUndefined();
    const release = holdReads();
    const reading = cache.get(id);
    expect(cache.known(id)).toBeUndefined();
    release();
    await reading;
    expect(cache.known(id)).toMatchObject({ status: 'v1' });
    events.publish({ saleId: id, kind: 'activated' });
    await flush();
    expect(cache.known(id)).toBeUndefined();

    const { cache: empty, findById } = setup();
    findById.mockReturnValue({ lean: () => ({ exec: () => Promise.resolve(null) }) } as never);
    const missing = new Types.ObjectId().toHexString();
    expect(await empty.get(missing)).toBeNull();
    expect(empty.known(missing)).toBeNull();
  });

  it('keeps a view that already shows the sale sold out when the sold_out event comes', async () => {
    const { id, cache, events, findById } = setup();
    const soldOut = { _id: new Types.ObjectId(id), remainingQuantity: 0, status: 'mine' };
    cache.remember(soldOut as unknown as StoredSale);
    events.publish({ saleId: id, kind: 'sold_out' });
    await flush();
    expect(await cache.get(id)).toBe(soldOut);
    expect(findById).not.toHaveBeenCalled();
    events.publish({ saleId: id, kind: 'stock_back' });
    await flush();
    expect(await cache.get(id)).toMatchObject({ status: 'v1' });
  });

  it('reads again when an event drops the sale while a read of it is in flight', async () => {
    const { id, cache, events, holdReads } = setup();
    const release = holdReads();
    const pending = cache.get(id); // read v1 started before the change
    await flush();
    events.publish({ saleId: id, kind: 'stock_back' });
    await flush();
    release();
    expect(await pending).toMatchObject({ status: 'v2' });
  });

  it('reads again when remember() replaces the sale while a read of it is in flight', async () => {
    const { id, cache, holdReads } = setup();
    const release = holdReads();
    const pending = cache.get(id);
    await flush();
    cache.remember({ _id: new Types.ObjectId(id), status: 'fresh' } as unknown as StoredSale);
    release();
    expect(await pending).toMatchObject({ status: 'fresh' });
  });

  it('reads again however many times events and remember() supersede the read in flight', async () => {
    const { id, cache, events, findById, holdReads } = setup();
    let release = holdReads();
    const pending = cache.get(id);
    for (const change of ['event', 'event', 'event', 'remember']) {
      await flush();
      const next = holdReads(); // the read the retry starts is held too
      if (change === 'event') events.publish({ saleId: id, kind: 'stock_back' });
      else
        cache.remember({ _id: new Types.ObjectId(id), status: 'fresh' } as unknown as StoredSale);
      await flush();
      release();
      release = next;
    }
    release();
    expect(await pending).toMatchObject({ status: 'fresh' });
    expect(findById).toHaveBeenCalledTimes(4);
  });

  describe('never goes back to an older view of a sale', () => {
    const view = (id: string, stockRevision: number, remainingQuantity: number) =>
      ({ _id: new Types.ObjectId(id), stockRevision, remainingQuantity }) as unknown as StoredSale;

    it("ignores a re-read that answers after a recount's stock_back, and reads the sale again", async () => {
      const { id, cache, events, findById } = setup();
      cache.remember(view(id, 4, 0)); // sold out, as a take left it
      events.publish({ saleId: id, kind: 'stock_back', revision: 5 }); // the recount gave a unit back
      await flush();
      cache.remember(view(id, 4, 0)); // an attempt's re-read, sent before the recount, answers now
      expect(cache.known(id)).toBeUndefined();
      expect(await cache.get(id)).toMatchObject({ status: 'v1' });
      expect(findById).toHaveBeenCalledTimes(1);
    });

    it('keeps the newer of two views whatever order they arrive in; an equal revision replaces', () => {
      const { id, cache } = setup();
      const newer = view(id, 7, 3);
      cache.remember(newer);
      cache.remember(view(id, 6, 0)); // an accepted take's reply, overtaken by a later take's
      expect(cache.known(id)).toBe(newer);
      const sameRevision = { ...newer, status: 'sold_out' } as StoredSale;
      cache.remember(sameRevision); // a status sweep moves no counter
      expect(cache.known(id)).toBe(sameRevision);
    });
  });
});
