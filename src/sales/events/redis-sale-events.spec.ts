import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { RedisSaleEvents } from './redis-sale-events';
import type { SaleEvent } from './sale-events';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** One fake Redis server: publishes reach every subscribed fake connection, the sender's too. */
class FakeRedis {
  private readonly subscribers: Array<EventEmitter & { channels: Set<string> }> = [];
  down = false;

  connection() {
    const connection = Object.assign(new EventEmitter(), {
      channels: new Set<string>(),
      subscribe: (channel: string) => {
        connection.channels.add(channel);
        return Promise.resolve(1);
      },
      publish: (channel: string, message: string) => {
        if (this.down) return Promise.reject(new Error("Stream isn't writeable"));
        for (const sub of this.subscribers) {
          if (sub.channels.has(channel)) sub.emit('message', channel, message);
        }
        return Promise.resolve(this.subscribers.length);
      },
    });
    this.subscribers.push(connection);
    return connection as unknown as Redis;
  }
}

async function instance(redis: FakeRedis, channel = 'p:sale-events') {
  const bus = new RedisSaleEvents(redis.connection(), redis.connection(), channel);
  await bus.onModuleInit();
  const seen: SaleEvent[] = [];
  bus.subscribe((event) => seen.push(event));
  return { bus, seen };
}

describe('RedisSaleEvents', () => {
  it('delivers a local publish to local subscribers exactly once (its own echo is ignored)', async () => {
    const redis = new FakeRedis();
    const a = await instance(redis);
    a.bus.publish({ saleId: 's1', kind: 'sold_out' });
    await flush();
    expect(a.seen).toEqual([{ saleId: 's1', kind: 'sold_out' }]);
  });

  it('delivers a publish to the subscribers of every other instance on the channel, once each', async () => {
    const redis = new FakeRedis();
    const a = await instance(redis);
    const b = await instance(redis);
    const elsewhere = await instance(redis, 'other-prefix:sale-events');
    a.bus.publish({ saleId: 's1', kind: 'activated' });
    await flush();
    expect(b.seen).toEqual([{ saleId: 's1', kind: 'activated' }]);
    expect(a.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });

  it('ignores messages that are not sale events', async () => {
    const redis = new FakeRedis();
    const a = await instance(redis);
    const raw = redis.connection();
    for (const message of ['not json', '{}', '{"origin":"x","saleId":"s","kind":"drop_tables"}']) {
      await raw.publish('p:sale-events', message);
    }
    await flush();
    expect(a.seen).toEqual([]);
  });

  it('during a Redis outage a publish neither throws nor rejects, and local subscribers still hear it', async () => {
    const redis = new FakeRedis();
    const a = await instance(redis);
    const b = await instance(redis);
    redis.down = true;
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      expect(() => a.bus.publish({ saleId: 's1', kind: 'stock_back' })).not.toThrow();
      await flush();
      await flush();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    expect(a.seen).toEqual([{ saleId: 's1', kind: 'stock_back' }]);
    expect(b.seen).toEqual([]);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
