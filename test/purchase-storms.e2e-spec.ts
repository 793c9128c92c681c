import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import { MongoClient, type Db } from 'mongodb';
import { Types, type Model } from 'mongoose';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { buildRegistration, registerUsers, type TestUser } from './factories/users.factory';
import {
  openSaleOver,
  postJson,
  startChildApp,
  stopChildApp,
  type ChildApp,
} from './support/child-app';
import { itWhen, testDatabase } from './support/conditional-tests';
import { waitUntil } from './support/processes';
import { expectStockInvariants, expectTimesFollowTheLine } from './support/invariants';
import {
  adminToken,
  createTestApp,
  databaseUri,
  http,
  uniqueDatabaseName,
} from './support/test-app';
import { note } from './support/notes';

type Outcome = { status: number; code?: string; user: TestUser; quantity: number; at: number };

const sleepUntil = (time: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

describe('purchase storms (e2e, concurrent requests fired together)', () => {
  let app: NestFastifyApplication;
  let admin: string;
  let users: TestUser[];

  async function attempt(user: TestUser, saleId: string, quantity = 1): Promise<Outcome> {
    const response = await http(app)
      .post(`/api/sales/${saleId}/purchase`)
      .auth(user.token, { type: 'bearer' })
      .send({ quantity });
    return { status: response.status, code: response.body.code, user, quantity, at: Date.now() };
  }

  const count = (outcomes: Outcome[], predicate: (o: Outcome) => boolean) =>
    outcomes.filter(predicate).length;

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName());
    admin = await adminToken(app);
    users = await registerUsers(app, 300);
    const health = (await http(app).get('/health').expect(200)).body;
    note(`[storms] database: ${health.engine}`);
  }, 120_000);
  afterAll(() => app.close());

  it('300 buyers, 1 attempt each, stock 100: exactly 100 sold, 200 SOLD_OUT, ranks 1..100', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 100 });
    const outcomes = await Promise.all(users.map((user) => attempt(user, sale.id)));

    expect(count(outcomes, (o) => o.status === 201)).toBe(100);
    expect(count(outcomes, (o) => o.status === 409 && o.code === 'SOLD_OUT')).toBe(200);
    const { sale: after, confirmed } = await expectStockInvariants(app, sale.id);
    expect(after).toMatchObject({ remainingQuantity: 0, soldQuantity: 100, status: 'sold_out' });

    const board = (await http(app).get(`/api/sales/${sale.id}/leaderboard?limit=100`).expect(200))
      .body;
    expect(board.total).toBe(100);
    expect(board.items.map((row: { rank: number }) => row.rank)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    const winners = new Set(outcomes.filter((o) => o.status === 201).map((o) => o.user.username));
    const ranked = board.items.map((row: { username: string }) => row.username);
    expect(new Set(ranked).size).toBe(100);
    expect(new Set(ranked)).toEqual(winners);
    // Acceptance order: the leaderboard follows the places in line the database handed out.
    const bySeq = [...confirmed].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((p) => p.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const usernames = new Map(users.map((u) => [u.id, u.username]));
    expect(ranked).toEqual(bySeq.map((p) => usernames.get(String(p.userId))));
  });

  it('50 buyers x 5 simultaneous attempts, stock 1000: exactly one purchase each, 950 left', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 1000 });
    const clicks = users.slice(0, 50).flatMap((user) => Array.from({ length: 5 }, () => user));
    const outcomes = await Promise.all(clicks.map((user) => attempt(user, sale.id)));

    expect(count(outcomes, (o) => o.status === 201)).toBe(50);
    // A click that meets the buyer's own confirmed purchase hears ALREADY_PURCHASED; one that meets it
    // still unsettled hears exactly that, PURCHASE_IN_PROGRESS (issue 17): never a refusal or a 5xx.
    const ownAttempt = new Set(['ALREADY_PURCHASED', 'PURCHASE_IN_PROGRESS']);
    expect(count(outcomes, (o) => o.status === 409 && ownAttempt.has(o.code!))).toBe(200);
    for (const user of users.slice(0, 50)) {
      expect(count(outcomes, (o) => o.user === user && o.status === 201)).toBe(1);
    }
    const { sale: after } = await expectStockInvariants(app, sale.id);
    expect(after.remainingQuantity).toBe(950);
  });

  it('maxPerUser 3, random quantities, demand above stock: accepted units sum to the units sold', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 150, maxPerUser: 3 });
    const quantities = users.map((_, i) => ((i * 7919) % 4) + 1); // 1..4, deterministic, demand ~750
    const outcomes = await Promise.all(
      users.map((user, i) => attempt(user, sale.id, quantities[i])),
    );

    const accepted = outcomes.filter((o) => o.status === 201);
    const { sale: after } = await expectStockInvariants(app, sale.id);
    expect(accepted.reduce((sum, o) => sum + o.quantity, 0)).toBe(after.soldQuantity);
    expect(count(outcomes, (o) => o.quantity === 4 && o.code === 'QUANTITY_LIMIT_EXCEEDED')).toBe(
      count(outcomes, (o) => o.quantity === 4),
    );
    expect(accepted.every((o) => o.quantity <= 3)).toBe(true);
    const rejectedCodes = new Set(outcomes.filter((o) => o.status !== 201).map((o) => o.code));
    expect(
      [...rejectedCodes].every((code) =>
        ['SOLD_OUT', 'INSUFFICIENT_STOCK', 'QUANTITY_LIMIT_EXCEEDED'].includes(code!),
      ),
    ).toBe(true);
    expect(after.remainingQuantity).toBeLessThan(3);
  });

  it('answers INSUFFICIENT_STOCK in the partial-stock case', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 3, maxPerUser: 3 });
    expect(await attempt(users[1], sale.id, 1)).toMatchObject({ status: 201 });
    const outcome = await attempt(users[0], sale.id, 3);
    expect(outcome).toMatchObject({ status: 409, code: 'INSUFFICIENT_STOCK' });
    await expectStockInvariants(app, sale.id);
  });

  it('a burst spanning startTime: before it SALE_NOT_STARTED, after it accepted, no manual activation', async () => {
    const start = Date.now() + 1_500;
    const sale = await createSale(app, admin, {
      startTime: new Date(start).toISOString(),
      totalQuantity: 1000,
    });
    const burst: Array<Promise<Outcome & { sentAt: number }>> = [];
    for (let i = 0; i < 40; i += 1) {
      await sleepUntil(start - 1_000 + i * 50); // every 50 ms from 1 s before to 1 s after
      const sentAt = Date.now();
      burst.push(attempt(users[100 + i], sale.id).then((o) => ({ ...o, sentAt })));
    }
    const outcomes = await Promise.all(burst);
    const margin = 25; // request arrival vs. our clock: ignore attempts this close to the edge
    const early = outcomes.filter((o) => o.at < start - margin);
    const late = outcomes.filter((o) => o.sentAt > start + margin);
    expect(early.length).toBeGreaterThanOrEqual(5);
    expect(late.length).toBeGreaterThanOrEqual(5);
    expect(early.every((o) => o.status === 409 && o.code === 'SALE_NOT_STARTED')).toBe(true);
    expect(late.every((o) => o.status === 201)).toBe(true);
    await expectStockInvariants(app, sale.id);
  });

  it('a burst spanning endTime: before it accepted, after it SALE_ENDED', async () => {
    const end = Date.now() + 1_500;
    const sale = await createSale(app, admin, {
      startTime: secondsFromNow(-5),
      endTime: new Date(end).toISOString(),
      totalQuantity: 1000,
    });
    const burst: Array<Promise<Outcome & { sentAt: number }>> = [];
    for (let i = 0; i < 40; i += 1) {
      await sleepUntil(end - 1_000 + i * 50);
      const sentAt = Date.now();
      burst.push(attempt(users[200 + i], sale.id).then((o) => ({ ...o, sentAt })));
    }
    const outcomes = await Promise.all(burst);
    const margin = 25;
    const early = outcomes.filter((o) => o.at < end - margin);
    const late = outcomes.filter((o) => o.sentAt > end + margin);
    expect(early.length).toBeGreaterThanOrEqual(5);
    expect(late.length).toBeGreaterThanOrEqual(5);
    expect(early.every((o) => o.status === 201)).toBe(true);
    expect(late.every((o) => o.status === 409 && o.code === 'SALE_ENDED')).toBe(true);
    await expectStockInvariants(app, sale.id);
  });

  it('never leaves a pending record or a counter mismatch behind after all storms', async () => {
    const purchases = app.get<Model<{ state: string }>>(getModelToken('Purchase'));
    expect(await purchases.countDocuments({ state: 'pending' })).toBe(0);
    const sales = app.get<Model<{ _id: Types.ObjectId }>>(getModelToken('Sale'));
    for (const sale of await sales.find().lean().exec()) {
      await expectStockInvariants(app, String(sale._id));
    }
  });
});

/**
 * The same storms against the built service (dist/main.js) as users run it: no test setup is loaded in
 * it, so whatever keeps the line in order on this run's engine is the product's own doing.
 */
describe('purchase storms against the built service (e2e, real processes, no test setup)', () => {
  const database = uniqueDatabaseName();
  let client: MongoClient;
  let db: Db;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    client = await MongoClient.connect(databaseUri(database));
    db = client.db();
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => stopChildApp(child, 'SIGTERM')));
    await client.close();
  });

  async function start(env: Record<string, string> = {}): Promise<ChildApp> {
    const child = await startChildApp(database, env);
    children.push(child);
    return child;
  }

  async function registerBuyers(url: string, count: number): Promise<string[]> {
    const tokens: string[] = [];
    for (let start = 0; start < count; start += 25) {
      const batch = Array.from({ length: Math.min(25, count - start) }, () =>
        postJson(url, '/api/auth/register', buildRegistration()),
      );
      tokens.push(...(await Promise.all(batch)).map((r) => r.body.accessToken as string));
    }
    return tokens;
  }

  /** Every buyer once, all at once, spread over `urls`; then the ledger as the database holds it. */
  async function storm(urls: string[], tokens: string[], totalQuantity: number) {
    const saleId = await openSaleOver(urls[0], totalQuantity);
    const answers = await Promise.all(
      tokens.map((token, i) =>
        postJson(urls[i % urls.length], `/api/sales/${saleId}/purchase`, { quantity: 1 }, token),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    const sale = (await db.collection('sales').findOne({ _id: new Types.ObjectId(saleId) }))!;
    const confirmed = await db
      .collection<{ seq: number; purchasedAt: Date }>('purchases')
      .find({ saleId: new Types.ObjectId(saleId), state: 'confirmed' })
      .toArray();
    return { statuses, sale, confirmed };
  }

  function expectOneLine(result: Awaited<ReturnType<typeof storm>>, totalQuantity: number) {
    expect(result.statuses.filter((status) => status >= 500)).toEqual([]);
    expect(result.statuses.filter((status) => status === 201).length).toBe(totalQuantity);
    expect(result.sale).toMatchObject({ remainingQuantity: 0, soldQuantity: totalQuantity });
    expect(result.confirmed.map((p) => p.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: totalQuantity }, (_, i) => i + 1),
    );
    expectTimesFollowTheLine(result.confirmed);
  }

  it('one instance, three storms of 300 buyers for 120 units: one place each, times in line, no 5xx', async () => {
    const child = await start();
    if (testDatabase.isStandIn) {
      // MONGO_URI names the stand-in: the service guards itself and says another process would not be.
      const bootLine = () => /Listening on/.test(child.output.join(''));
      await waitUntil(bootLine, 5_000, 'the boot line');
      const boot = child.output.join('');
      expect(boot).toMatch(/findAndModify calls take turns per document in this process/);
      expect(boot).toMatch(
        /MONGO_URI points at it, so other processes or instances may use it too/,
      );
    }
    const tokens = await registerBuyers(child.url, 300);
    for (let round = 0; round < 3; round += 1) {
      expectOneLine(await storm([child.url], tokens, 120), 120);
    }
  }, 180_000);

  itWhen(
    !testDatabase.isStandIn,
    'the stand-in is guarded within one process only, as both instances warn at boot',
  )(
    'two instances on one database, 300 buyers for 120 units: one place each, times in line, no 5xx',
    async () => {
      const pair = [await start(), await start()];
      const tokens = await registerBuyers(pair[0].url, 300);
      expectOneLine(
        await storm(
          pair.map((child) => child.url),
          tokens,
          120,
        ),
        120,
      );
    },
  );
});
