import { testRedisPrefix } from './support/throttle-storage';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { SaleEvents, type SaleEvent } from '../src/sales/events/sale-events';
import { createSale, secondsFromNow, type SaleBody } from './factories/catalog.factory';
import { registerUser, type TestUser } from './factories/users.factory';
import { itWhen, testRedis } from './support/conditional-tests';
import { freePort } from './support/processes';
import { SseClient } from './support/sse-client';
import { adminToken, baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** The bound for a sell-out on one instance to reach a stream on another. */
const CROSS_INSTANCE_MS = 1_000;

const buy = (app: NestFastifyApplication, user: TestUser, saleId: string) =>
  http(app).post(`/api/sales/${saleId}/purchase`).auth(user.token, { type: 'bearer' }).send({});

describe('sale events across two instances on one database and one Redis (e2e)', () => {
  const database = uniqueDatabaseName();
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let admin: string;

  beforeAll(async () => {
    if (!testRedis.available) return;
    const env = {
      REDIS_URL: testRedis.url!,
      REDIS_PREFIX: testRedisPrefix(),
      // Long enough that only an event can make an instance's cached view change within a test.
      SALE_CACHE_TTL_MS: '10000',
    };
    a = await createTestApp(database, env);
    b = await createTestApp(database, env);
    admin = await adminToken(a);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  itWhen(testRedis.available, testRedis.skipReason)(
    'delivers an event published on one instance once to each instance, its own included',
    async () => {
      const seen: Record<'a' | 'b', SaleEvent[]> = { a: [], b: [] };
      const unsubscribe = [
        a.get(SaleEvents).subscribe((event) => seen.a.push(event)),
        b.get(SaleEvents).subscribe((event) => seen.b.push(event)),
      ];
      try {
        const saleId = randomBytes(12).toString('hex');
        a.get(SaleEvents).publish({ saleId, kind: 'stock_back' });
        const deadline = Date.now() + 5_000;
        while (seen.b.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await new Promise((resolve) => setTimeout(resolve, 200)); // room for a duplicate to show
        const mine = (events: SaleEvent[]) => events.filter((event) => event.saleId === saleId);
        expect(mine(seen.a)).toEqual([{ saleId, kind: 'stock_back' }]);
        expect(mine(seen.b)).toEqual([{ saleId, kind: 'stock_back' }]);
      } finally {
        unsubscribe.forEach((stop) => stop());
      }
    },
  );

  itWhen(testRedis.available, testRedis.skipReason)(
    'a sell-out made through A reaches a stream on B within a second, and the stream ends',
    async () => {
      const sale = await createSale(a, admin, { totalQuantity: 1 });
      const buyer = await registerUser(a);
      const stream = await SseClient.connect(`${baseUrl(b)}/api/sales/${sale.id}/events`);
      try {
        await stream.waitFor(() => true);
        await buy(a, buyer, sale.id).expect(201);
        const soldAt = Date.now();
        const soldOut = await stream.waitFor(
          (e) => e.event === 'sale' && (e.data as SaleBody).status === 'sold_out',
          10_000,
          'the sell-out on B',
        );
        expect(soldOut.at - soldAt).toBeLessThan(CROSS_INSTANCE_MS);
        expect(soldOut.data).toMatchObject({ remainingQuantity: 0, soldQuantity: 1 });
        await stream.ended;
        const purchases = stream.named('purchases').flatMap((e) => (e.data as { items: [] }).items);
        expect(purchases).toEqual([expect.objectContaining({ rank: 1, username: buyer.username })]);
      } finally {
        stream.close();
      }
    },
  );

  itWhen(testRedis.available, testRedis.skipReason)(
    'a manual activation through A lets a purchase through B succeed at once, though B cached "scheduled"',
    async () => {
      const sale = await createSale(a, admin, { startTime: secondsFromNow(3600) });
      const buyer = await registerUser(b);
      // B now holds the sale as not started, for SALE_CACHE_TTL_MS (10 s) unless told otherwise.
      expect((await buy(b, buyer, sale.id).expect(409)).body.code).toBe('SALE_NOT_STARTED');
      await http(a)
        .post(`/api/sales/${sale.id}/activate`)
        .auth(admin, { type: 'bearer' })
        .expect(200);
      await buy(b, buyer, sale.id).expect(201);
    },
  );
});

describe('sale events while Redis is unreachable (e2e)', () => {
  itWhen(testRedis.available, testRedis.skipReason)(
    'purchases still succeed and streams on the same instance still hear them',
    async () => {
      const deadPort = await freePort(); // nothing listens there
      const app = await createTestApp(uniqueDatabaseName(), {
        REDIS_URL: `redis://127.0.0.1:${deadPort}/0`,
        REDIS_PREFIX: testRedisPrefix(),
      });
      try {
        const sale = await createSale(app, await adminToken(app), { totalQuantity: 3 });
        const stream = await SseClient.connect(`${baseUrl(app)}/api/sales/${sale.id}/events`);
        try {
          await stream.waitFor(() => true);
          const buyer = await registerUser(app);
          await buy(app, buyer, sale.id).expect(201);
          const purchase = await stream.waitFor((e) => e.event === 'purchases');
          expect(purchase.data).toEqual({
            items: [expect.objectContaining({ rank: 1, username: buyer.username })],
          });
        } finally {
          stream.close();
        }
      } finally {
        await app.close();
      }
    },
  );
});
