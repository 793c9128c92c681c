import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { itWhen, testRedis } from './support/conditional-tests';
import { testRedisPrefix, throttleStorageOf } from './support/throttle-storage';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/**
 * Issue 10: N instances must not allow N times every limit. Two in-process instances on one database;
 * with one Redis (database number of this run, prefix of this file) they share every counter, without
 * it each counts alone, as a single instance always did.
 */
describe('rate limits across two instances (e2e)', () => {
  const database = uniqueDatabaseName();
  const limits = { THROTTLE_LIMIT: '3', THROTTLE_PURCHASE_LIMIT: '3' };
  let setup: NestFastifyApplication;
  let admin: string;

  beforeAll(async () => {
    setup = await createTestApp(database); // generous limits: makes the sales and users
    admin = await adminToken(setup);
  });
  afterAll(async () => {
    await setup.close();
  });

  const statusesOf = async (requests: Array<() => PromiseLike<{ status: number }>>) => {
    const statuses: number[] = [];
    for (const send of requests) statuses.push((await send()).status);
    return statuses;
  };

  describe('with REDIS_URL', () => {
    let a: NestFastifyApplication;
    let b: NestFastifyApplication;

    beforeAll(async () => {
      if (!testRedis.available) return;
      const env = { ...limits, REDIS_URL: testRedis.url!, REDIS_PREFIX: testRedisPrefix() };
      [a, b] = [await createTestApp(database, env), await createTestApp(database, env)];
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    itWhen(testRedis.available, testRedis.skipReason)(
      'starts both instances on shared counters',
      () => {
        expect(throttleStorageOf(a).isShared).toBe(true);
        expect(throttleStorageOf(b).isShared).toBe(true);
      },
    );

    itWhen(testRedis.available, testRedis.skipReason)(
      "shares a user's purchase budget: 2 attempts via A and 2 via B, the 4th is 429",
      async () => {
        const sale = await createSale(setup, admin, { totalQuantity: 10 });
        const user = await registerUser(setup);
        const attempt = (app: NestFastifyApplication) => () =>
          http(app)
            .post(`/api/sales/${sale.id}/purchase`)
            .auth(user.token, { type: 'bearer' })
            .send({});
        expect(await statusesOf([attempt(a), attempt(a), attempt(b)])).toEqual([201, 409, 409]);
        const fourth = await attempt(b)();
        expect(fourth.status).toBe(429);
        expect(fourth.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
        expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
      },
    );

    itWhen(testRedis.available, testRedis.skipReason)(
      'shares a general route limit, a public route included, and keeps users apart',
      async () => {
        const sale = await createSale(setup, admin);
        const [alice, bob] = [await registerUser(setup), await registerUser(setup)];
        const me = (app: NestFastifyApplication, token: string) => () =>
          http(app).get('/api/auth/me').auth(token, { type: 'bearer' });
        const poll = (app: NestFastifyApplication, token: string) => () =>
          http(app).get(`/api/sales/${sale.id}`).auth(token, { type: 'bearer' });
        expect(
          await statusesOf([
            me(a, alice.token),
            me(b, alice.token),
            me(a, alice.token),
            me(b, alice.token),
          ]),
        ).toEqual([200, 200, 200, 429]);
        expect(
          await statusesOf([
            poll(b, alice.token),
            poll(a, alice.token),
            poll(b, alice.token),
            poll(a, alice.token),
          ]),
        ).toEqual([200, 200, 200, 429]);
        expect(await statusesOf([me(a, bob.token), poll(b, bob.token)])).toEqual([200, 200]);
      },
    );

    itWhen(testRedis.available, testRedis.skipReason)(
      'shares the budget for refused tokens per IP',
      async () => {
        const bad = (app: NestFastifyApplication) => () =>
          http(app).get('/api/purchases/me').auth('not-a-token', { type: 'bearer' });
        // THROTTLE_AUTH_FAILURE_LIMIT is 20 by default: 10 via each instance, the next refusal is 429.
        const twenty = Array.from({ length: 20 }, (_, i) => bad(i % 2 ? a : b));
        expect(new Set(await statusesOf(twenty))).toEqual(new Set([401]));
        expect((await bad(a)()).status).toBe(429);
      },
    );
  });

  describe('without REDIS_URL', () => {
    let c: NestFastifyApplication;
    let d: NestFastifyApplication;

    beforeAll(async () => {
      [c, d] = [await createTestApp(database, limits), await createTestApp(database, limits)];
    });
    afterAll(async () => {
      await Promise.all([c?.close(), d?.close()]);
    });

    it('keeps counters per instance: each allows the whole limit (the single-instance behaviour)', async () => {
      expect(throttleStorageOf(c).isShared).toBe(false);
      const user = await registerUser(setup);
      const me = (app: NestFastifyApplication) => () =>
        http(app).get('/api/auth/me').auth(user.token, { type: 'bearer' });
      expect(await statusesOf([me(c), me(c), me(c), me(d), me(d), me(d)])).toEqual([
        200, 200, 200, 200, 200, 200,
      ]);
      expect(await statusesOf([me(c), me(d)])).toEqual([429, 429]);
    });
  });
});
