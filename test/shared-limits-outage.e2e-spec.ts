import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale } from './factories/catalog.factory';
import { registerUser, type TestUser } from './factories/users.factory';
import { PrivateRedis } from './support/private-redis';
import { waitUntil } from './support/processes';
import { testRedisPrefix, waitUntilShared } from './support/throttle-storage';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/**
 * Issue 10: a Redis outage never takes the service down. Two instances share counters through a
 * redis-server of this test's own; it is killed (requests keep being answered, each instance counts
 * alone), then restarted on the same port (counters are shared again).
 */
describe('rate limits while Redis dies and comes back (e2e)', () => {
  const database = uniqueDatabaseName();
  let redis: PrivateRedis;
  let setup: NestFastifyApplication;
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let saleId: string;
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    setup = await createTestApp(database);
    saleId = (await createSale(setup, await adminToken(setup))).id;
    const env = { THROTTLE_LIMIT: '3', REDIS_URL: redis.url, REDIS_PREFIX: testRedisPrefix() };
    [a, b] = [await createTestApp(database, env), await createTestApp(database, env)];
    errors = jest.spyOn(Logger.prototype, 'error');
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await Promise.all([a?.close(), b?.close(), setup?.close()]);
    await redis?.kill();
  });

  /** One public and one authenticated route, alternated over the two instances as a balancer would. */
  async function statuses(user: TestUser, order: NestFastifyApplication[]): Promise<number[]> {
    const result: number[] = [];
    for (const app of order) {
      const [poll, me] = await Promise.all([
        http(app).get(`/api/sales/${saleId}`).auth(user.token, { type: 'bearer' }),
        http(app).get('/api/auth/me').auth(user.token, { type: 'bearer' }),
      ]);
      expect(poll.status).toBe(me.status); // both routes count alike
      result.push(poll.status);
    }
    return result;
  }

  it('shares counters, falls back to per-instance counters without a 500 while Redis is down, and shares again when it is back', async () => {
    await waitUntilShared([a, b], true);
    expect(await statuses(await registerUser(setup), [a, b, a, b])).toEqual([200, 200, 200, 429]);

    // Requests in flight when Redis dies are answered too: counted in Redis, or here if it is gone.
    const crowd = await Promise.all(Array.from({ length: 4 }, () => registerUser(setup)));
    const inFlight = crowd.flatMap((user) =>
      [a, b, a, b].map((app) => http(app).get('/api/auth/me').auth(user.token, { type: 'bearer' })),
    );
    const [answers] = await Promise.all([Promise.all(inFlight), redis.kill()]);
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 429)).toEqual([]);
    await waitUntilShared([a, b], false);
    const during = await registerUser(setup);
    expect(await statuses(during, [a, a, a, a])).toEqual([200, 200, 200, 429]);
    expect(await statuses(during, [b, b, b, b])).toEqual([200, 200, 200, 429]);
    // One line per instance for the outage, nothing per request. The line comes when the client's
    // reconnect is refused (not when the socket closes), so it may follow the requests above: wait for
    // it, then show that more requests add none.
    const outageLines = (): unknown[][] =>
      (errors.mock.calls as unknown[][]).filter(([line]) => /unreachable/.test(String(line)));
    await waitUntil(() => outageLines().length >= 2, 10_000, 'both instances log the outage');
    expect(await statuses(await registerUser(setup), [a, b, a, b])).toEqual([200, 200, 200, 200]);
    expect(outageLines()).toHaveLength(2);
    expect(warnings.mock.calls.filter(([line]) => /rate-limit/.test(String(line)))).toEqual([]);

    await redis.restart();
    await waitUntilShared([a, b], true);
    expect(await statuses(await registerUser(setup), [b, a, b, a])).toEqual([200, 200, 200, 429]);
  });
});
