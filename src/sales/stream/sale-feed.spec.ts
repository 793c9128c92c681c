import { Logger } from '@nestjs/common';
import type { LeaderboardEntryDto } from '../../leaderboard/dto/leaderboard.dto';
import type { SaleDto } from '../dto/sale.dto';
import { SaleFeed, type FeedSource } from './sale-feed';
import type { SseConnection } from './sse-connection';

const SALE_ID = '665f1c2e9b1e8a3f4c0d9876';

/** A sale and its confirmed buyers, as the database holds them at a given moment. */
class FakeSource implements FeedSource {
  sale = { id: SALE_ID, status: 'active', remainingQuantity: 2, soldQuantity: 0 } as SaleDto;
  confirmed: LeaderboardEntryDto[] = [];

  readSale = jest.fn(() => Promise.resolve({ ...this.sale }));
  entriesAfter = jest.fn((_id: string, rank: number, limit: number) =>
    Promise.resolve(this.confirmed.slice(rank, rank + limit)),
  );
  buyerCount = jest.fn(() => Promise.resolve(this.confirmed.length));
  unitsListed = jest.fn(() =>
    Promise.resolve(this.confirmed.reduce((units, entry) => units + entry.quantity, 0)),
  );

  /** The take: the sale counts the unit before the purchase is confirmed. */
  take(): void {
    const sold = this.sale.soldQuantity + 1;
    const remaining = this.sale.remainingQuantity - 1;
    this.sale = {
      ...this.sale,
      soldQuantity: sold,
      remainingQuantity: remaining,
      status: remaining === 0 ? 'sold_out' : 'active',
    };
  }

  confirm(username: string): void {
    const rank = this.confirmed.length + 1;
    this.confirmed.push({ rank, username, quantity: 1, purchasedAt: new Date(rank) });
  }
}

/** Records what a stream is sent, in order. */
function fakeClient() {
  const sent: Array<{ event: string; data: unknown }> = [];
  let ended = false;
  const client = {
    send: (event: string, data: unknown) => sent.push({ event, data }),
    ping: () => undefined,
    end: () => (ended = true),
  } as unknown as SseConnection;
  return { client, sent, isEnded: () => ended };
}

describe('SaleFeed at sell-out', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  async function readAfterPoke(feed: SaleFeed): Promise<void> {
    feed.poke();
    await jest.advanceTimersByTimeAsync(10);
  }

  it('holds the sold-out sale back while its last take is unconfirmed, then sends that buyer first', async () => {
    const source = new FakeSource();
    const feed = new SaleFeed(SALE_ID, source, 1, new Logger('test'), () => undefined);
    await feed.ready;
    const { client, sent, isEnded } = fakeClient();
    feed.add(client, source.sale);

    source.take();
    source.confirm('first');
    await readAfterPoke(feed);
    // The last unit is taken, not yet confirmed: the sale reads sold out, the leaderboard lacks its buyer.
    source.take();
    await readAfterPoke(feed);
    await jest.advanceTimersByTimeAsync(50);
    expect(sent.map(({ event }) => event)).toEqual(['purchases', 'sale']);
    expect(sent[1].data).toMatchObject({ status: 'active', soldQuantity: 1 });
    expect(isEnded()).toBe(false);

    source.confirm('last');
    await readAfterPoke(feed);
    expect(sent.map(({ event }) => event)).toEqual(['purchases', 'sale', 'purchases', 'sale']);
    expect(sent[2].data).toEqual({
      items: [expect.objectContaining({ rank: 2, username: 'last' })],
    });
    expect(sent[3].data).toMatchObject({ status: 'sold_out', soldQuantity: 2 });
    expect(isEnded()).toBe(true);
  });

  it('sends the last buyer and the sold-out sale in one read, buyers first, then ends', async () => {
    const source = new FakeSource();
    const feed = new SaleFeed(SALE_ID, source, 1, new Logger('test'), () => undefined);
    await feed.ready;
    const { client, sent, isEnded } = fakeClient();
    feed.add(client, source.sale);

    for (const name of ['first', 'last']) {
      source.take();
      source.confirm(name);
    }
    await readAfterPoke(feed);
    expect(sent.map(({ event }) => event)).toEqual(['purchases', 'sale']);
    expect(sent[0].data).toMatchObject({ items: [{ username: 'first' }, { username: 'last' }] });
    expect(sent[1].data).toMatchObject({ status: 'sold_out' });
    expect(isEnded()).toBe(true);
  });
});
