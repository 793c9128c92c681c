import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import { Types, type Model } from 'mongoose';
import { AdmissionGate } from '../src/admission/admission-gate';
import { DatabaseSteps } from '../src/database/database-steps';
import { createSale } from './factories/catalog.factory';
import { registerUsers, type TestUser } from './factories/users.factory';
import { ConcurrencyGauge, HeldAttempts } from './support/admission-probes';
import { itWhen } from './support/conditional-tests';
import { expectStockInvariants } from './support/invariants';
import { PrivateRedis, redisServerInstalled } from './support/private-redis';
import { waitUntil } from './support/processes';
import { rawRequest } from './support/raw-http';
import { adminToken, baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

interface Outcome {
  user: TestUser;
  status: number;
  code?: string;
  retryAfter?: string;
}

/** Every answer a crowd may get; anything else (a 500, a reset connection) fails the test. */
const EXPECTED_ANSWERS = new Set(['201', '409 SOLD_OUT', '503 PURCHASE_NOT_COMPLETED']);
const answerOf = (o: Outcome) => (o.status === 201 ? '201' : `${o.status} ${o.code}`);

async function attempt(app: NestFastifyApplication, user: TestUser, saleId: string) {
  const response = await http(app)
    .post(`/api/sales/${saleId}/purchase`)
    .auth(user.token, { type: 'bearer' })
    .send({ quantity: 1 });
  const body = response.body as { code?: string };
  const retryAfter = response.headers['retry-after'] as string | undefined;
  return { user, status: response.status, code: body.code, retryAfter } as Outcome;
}

function pendingRecords(app: NestFastifyApplication, saleId: string) {
  const purchases = app.get<Model<{ state: string }>>(getModelToken('Purchase'));
  return purchases.countDocuments({ saleId: new Types.ObjectId(saleId), state: 'pending' }).exec();
}

/** Exact stock, once per buyer, every request answered with a known answer. */
async function expectCrowdServed(
  app: NestFastifyApplication,
  outcomes: Outcome[],
  saleId: string,
  stock: number,
) {
  expect(outcomes.map(answerOf).filter((answer) => !EXPECTED_ANSWERS.has(answer))).toEqual([]);
  const accepted = outcomes.filter((o) => o.status === 201);
  expect(new Set(accepted.map((o) => o.user.id)).size).toBe(accepted.length);
  const { sale, confirmed } = await expectStockInvariants(app, saleId);
  expect(confirmed.length).toBe(accepted.length);
  expect(sale.soldQuantity).toBe(stock);
}

describe('the admission gate under crowds (e2e)', () => {
  const database = uniqueDatabaseName();
  // Standalone: the path whose first command is the reservation, on any engine.
  const env = { MONGO_TRANSACTIONS: 'off', ADMISSION_MARGIN: '1', ADMISSION_MAX_WAIT_MS: '20000' };
  let app: NestFastifyApplication;
  let admin: string;
  let users: TestUser[];

  beforeAll(async () => {
    app = await createTestApp(database, env);
    admin = await adminToken(app);
    users = await registerUsers(app, 300);
  }, 120_000);
  afterAll(() => app?.close());
  afterEach(() => app.get(DatabaseSteps).install(null));

  it('admits in arrival order, and the line hears SOLD_OUT from memory once the attempts in flight sold the stock', async () => {
    const gate = app.get(AdmissionGate);
    const held = new HeldAttempts();
    app.get(DatabaseSteps).install(held);
    const sale = await createSale(app, admin, { totalQuantity: 3 });
    const buyers = users.slice(0, 12);
    // Sent one by one, each after the previous one is in flight or in line: a known arrival order.
    const answers: Array<Promise<Outcome>> = [];
    for (const [i, buyer] of buyers.entries()) {
      answers.push(attempt(app, buyer, sale.id));
      await waitUntil(
        () => held.reached.length + gate.waiting(sale.id) === i + 1,
        10_000,
        `buyer ${i} at the gate`,
      );
    }
    // stock 3 + margin 1: the first four are in flight, the other eight wait.
    expect(held.reached.length).toBe(4);
    expect(new Set(held.reached)).toEqual(new Set(buyers.slice(0, 4).map((u) => u.id)));
    expect(gate.waiting(sale.id)).toBe(8);
    // The four in flight fail one by one: each freed place goes to the next in line, in order.
    for (const [i, failing] of [...held.reached].entries()) {
      held.failTake(failing);
      await waitUntil(() => held.reached.length === 5 + i, 10_000, `buyer ${4 + i} admitted`);
    }
    expect(held.reached.slice(4)).toEqual(buyers.slice(4, 8).map((u) => u.id));
    // Those four buy in turn: three units, then the fourth hears SOLD_OUT from the database, and
    // buyers 8-11 hear it from memory without reaching it.
    for (const buyer of buyers.slice(4, 8)) held.proceed(buyer.id);
    const outcomes = await Promise.all(answers);
    expect(outcomes.map(answerOf)).toEqual([
      ...Array<string>(4).fill('503 DATABASE_UNAVAILABLE'),
      ...Array<string>(3).fill('201'),
      ...Array<string>(5).fill('409 SOLD_OUT'),
    ]);
    expect(held.reached).toHaveLength(8);
    const { confirmed } = await expectStockInvariants(app, sale.id);
    const line = [...confirmed].sort((a, b) => a.seq - b.seq).map((p) => String(p.userId));
    expect(line).toEqual(buyers.slice(4, 7).map((u) => u.id));
    expect(await pendingRecords(app, sale.id)).toBe(0);
  });

  it('takes a waiter whose client disconnects out of the line, with no command and no record', async () => {
    const gate = app.get(AdmissionGate);
    const held = new HeldAttempts();
    app.get(DatabaseSteps).install(held);
    const sale = await createSale(app, admin, { totalQuantity: 1 });
    const [first, second, leaving] = users.slice(20, 23);
    const answers = [attempt(app, first, sale.id), attempt(app, second, sale.id)];
    await waitUntil(() => held.reached.length === 2, 10_000, 'two in flight');
    const body = '{"quantity":1}';
    const gone = rawRequest(
      baseUrl(app),
      [
        `POST /api/sales/${sale.id}/purchase HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${leaving.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ],
      300, // the client gives up while it waits
    );
    await waitUntil(() => gate.waiting(sale.id) === 1, 10_000, 'the third in line');
    expect((await gone).status).toBe(0);
    await waitUntil(() => gate.waiting(sale.id) === 0, 5_000, 'the leaver out of the line');
    for (const buyer of [first, second]) held.proceed(buyer.id);
    expect((await Promise.all(answers)).map(answerOf).sort()).toEqual(['201', '409 SOLD_OUT']);
    expect(held.reached).not.toContain(leaving.id);
    expect(await pendingRecords(app, sale.id)).toBe(0);
  });

  it('a crowd of 300 for 30 units: every buyer answered, exactly the stock sold, losers within the margin', async () => {
    const gauge = new ConcurrencyGauge(1_000, 30 + 1 + 1).install(app);
    const sale = await createSale(app, admin, { totalQuantity: 30 });
    const outcomes = await Promise.all(users.map((user) => attempt(app, user, sale.id)));
    await expectCrowdServed(app, outcomes, sale.id, 30);
    expect(outcomes.filter((o) => o.status === 201)).toHaveLength(30);
    // stock + margin at once, never more; so at most the margin of attempts lost at the database.
    expect(gauge.max).toBeLessThanOrEqual(30 + 1);
    expect(gauge.max).toBeGreaterThan(1);
  });

  it('answers a waiter 503 ADMISSION_WAIT_EXPIRED with Retry-After after the longest wait', async () => {
    const quick = await createTestApp(database, { ...env, ADMISSION_MAX_WAIT_MS: '300' });
    try {
      const held = new HeldAttempts();
      quick.get(DatabaseSteps).install(held);
      const sale = await createSale(quick, admin, { totalQuantity: 1 });
      const [first, second, third] = users.slice(30, 33);
      const answers = [attempt(quick, first, sale.id), attempt(quick, second, sale.id)];
      await waitUntil(() => held.reached.length === 2, 10_000, 'two in flight');
      const late = await attempt(quick, third, sale.id);
      expect(late).toMatchObject({ status: 503, code: 'ADMISSION_WAIT_EXPIRED', retryAfter: '1' });
      for (const buyer of [first, second]) held.proceed(buyer.id);
      await Promise.all(answers);
      expect(held.reached).not.toContain(third.id);
    } finally {
      quick.get(DatabaseSteps).install(null);
      await quick.close();
    }
  });
});

describe('the admission gate over two instances sharing a private Redis (e2e)', () => {
  const database = uniqueDatabaseName();
  const env = { MONGO_TRANSACTIONS: 'off', ADMISSION_MARGIN: '2', ADMISSION_MAX_WAIT_MS: '30000' };
  let redis: PrivateRedis | undefined;
  const apps: NestFastifyApplication[] = [];
  let users: TestUser[];
  let admin: string;

  const bootPair = async () => {
    redis = await PrivateRedis.start();
    const shared = {
      ...env,
      REDIS_URL: redis.url,
      REDIS_PREFIX: `gate-${randomBytes(4).toString('hex')}:`,
    };
    apps.push(await createTestApp(database, shared), await createTestApp(database, shared));
    admin = await adminToken(apps[0]);
    users ??= await registerUsers(apps[0], 200);
    return apps;
  };

  /** Each buyer once, alternately on each instance, all at once. */
  const crowd = (pair: NestFastifyApplication[], saleId: string) =>
    Promise.all(users.map((user, i) => attempt(pair[i % 2], user, saleId)));

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis?.kill();
  });

  itWhen(redisServerInstalled, 'no redis-server binary to start a private Redis')(
    'counts one bound for both: never more than stock + margin in flight across them',
    async () => {
      const pair = await bootPair();
      const gauge = new ConcurrencyGauge(1_000, 20 + 2 + 1).install(...pair);
      const sale = await createSale(pair[0], admin, { totalQuantity: 20 });
      const outcomes = await crowd(pair, sale.id);
      await expectCrowdServed(pair[0], outcomes, sale.id, 20);
      console.log(
        `[admission] two instances: at most ${gauge.max} attempts in the database at once`,
      );
      expect(gauge.max).toBeLessThanOrEqual(20 + 2);
      expect(gauge.max).toBeGreaterThan(2);
    },
    120_000,
  );

  itWhen(redisServerInstalled, 'no redis-server binary to start a private Redis')(
    'Redis killed mid-crowd: each instance counts alone, exactly the stock is sold, every buyer answered',
    async () => {
      const pair = await bootPair();
      new ConcurrencyGauge(10).install(...pair);
      const sale = await createSale(pair[0], admin, { totalQuantity: 20 });
      const storm = crowd(pair, sale.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await redis!.kill();
      await expectCrowdServed(pair[0], await storm, sale.id, 20);
      expect(await pendingRecords(pair[0], sale.id)).toBe(0);
    },
    120_000,
  );
});
