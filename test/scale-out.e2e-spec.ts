import { testRedisPrefix } from './support/throttle-storage';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale } from './factories/catalog.factory';
import { registerUsers, type TestUser } from './factories/users.factory';
import { itWhen, testRedis } from './support/conditional-tests';
import { expectStockInvariants } from './support/invariants';
import { PrivateRedis, redisServerInstalled } from './support/private-redis';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

interface Outcome {
  user: TestUser;
  status: number;
  code?: string;
}

/** Every answer a storm may give; anything else (a 500, a 502...) fails the test. */
const EXPECTED_ANSWERS = new Set([
  '201',
  '409 SOLD_OUT',
  '409 ALREADY_PURCHASED',
  '503 PURCHASE_NOT_COMPLETED',
]);

async function attempt(
  app: NestFastifyApplication,
  user: TestUser,
  saleId: string,
): Promise<Outcome> {
  const response = await http(app)
    .post(`/api/sales/${saleId}/purchase`)
    .auth(user.token, { type: 'bearer' })
    .send({ quantity: 1 });
  return { user, status: response.status, code: (response.body as { code?: string }).code };
}

const answerOf = (outcome: Outcome) =>
  outcome.status === 201 ? '201' : `${outcome.status} ${outcome.code}`;

/** Each user clicks on both instances at once, as a buyer behind a round-robin balancer might. */
async function stormOverBoth(
  [a, b]: NestFastifyApplication[],
  users: TestUser[],
  saleId: string,
  midway?: () => Promise<void>,
): Promise<Outcome[]> {
  const half = Math.floor(users.length / 2);
  const wave = (some: TestUser[]) =>
    Promise.all(some.flatMap((user) => [attempt(a, user, saleId), attempt(b, user, saleId)]));
  const first = wave(users.slice(0, half));
  if (midway) await midway();
  return [...(await first), ...(await wave(users.slice(half)))];
}

async function expectOneTruth(
  apps: NestFastifyApplication[],
  outcomes: Outcome[],
  saleId: string,
  stock: number,
) {
  expect(outcomes.map(answerOf).filter((answer) => !EXPECTED_ANSWERS.has(answer))).toEqual([]);
  const accepted = outcomes.filter((outcome) => outcome.status === 201);
  expect(new Set(accepted.map((outcome) => outcome.user.id)).size).toBe(accepted.length);
  const { sale, confirmed } = await expectStockInvariants(apps[0], saleId);
  expect(confirmed.length).toBe(accepted.length);
  expect(sale.soldQuantity).toBe(stock);
  // Both instances read the same ledger: one leaderboard, ranked by the line, times never going back.
  const boards = await Promise.all(
    apps.map(
      async (app) =>
        (await http(app).get(`/api/sales/${saleId}/leaderboard?limit=100`).expect(200))
          .body as unknown,
    ),
  );
  expect(boards[1]).toEqual(boards[0]);
  const items = (
    boards[0] as { items: Array<{ rank: number; username: string; purchasedAt: string }> }
  ).items;
  expect(items.map((item) => item.rank)).toEqual(Array.from({ length: stock }, (_, i) => i + 1));
  expect(new Set(items.map((item) => item.username))).toEqual(
    new Set(accepted.map((o) => o.user.username)),
  );
  const times = items.map((item) => Date.parse(item.purchasedAt));
  expect(times.filter((time, i) => i > 0 && time < times[i - 1])).toEqual([]);
}

describe('two instances on one database and one Redis (e2e)', () => {
  const database = uniqueDatabaseName();
  const prefix = testRedisPrefix();
  const apps: NestFastifyApplication[] = [];
  let admin: string;
  let users: TestUser[];

  const boot = async (redisUrl: string) => {
    const pair = [
      await createTestApp(database, { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }),
      await createTestApp(database, { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }),
    ];
    apps.push(...pair);
    return pair;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  itWhen(testRedis.available, testRedis.skipReason)(
    'a storm split across both sells exactly the stock, once per user, ranks and times in order',
    async () => {
      const pair = await boot(testRedis.url!);
      admin = await adminToken(pair[0]);
      users = await registerUsers(pair[0], 60);
      const sale = await createSale(pair[1], admin, { totalQuantity: 25 });
      const outcomes = await stormOverBoth(pair, users, sale.id);
      await expectOneTruth(pair, outcomes, sale.id, 25);
    },
  );

  itWhen(redisServerInstalled, 'no redis-server binary to start a private Redis')(
    'Redis stopped mid-storm: no oversell, every request answered, and the service still serves',
    async () => {
      const redis = await PrivateRedis.start();
      try {
        const pair = await boot(redis.url);
        admin = await adminToken(pair[0]);
        users = await registerUsers(pair[0], 60);
        const sale = await createSale(pair[0], admin, { totalQuantity: 25 });
        const outcomes = await stormOverBoth(pair, users, sale.id, () => redis.kill());
        await expectOneTruth(pair, outcomes, sale.id, 25);
        for (const app of pair) await http(app).get(`/api/sales/${sale.id}`).expect(200);
        // Back again: still serving, nothing to restart by hand.
        await redis.restart();
        const after = await createSale(pair[1], admin, { totalQuantity: 5 });
        await expectOneTruth(
          pair,
          await stormOverBoth(pair, users.slice(0, 20), after.id),
          after.id,
          5,
        );
      } finally {
        await redis.kill();
      }
    },
  );
});
