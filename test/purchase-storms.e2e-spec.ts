import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getModelToken } from '@nestjs/mongoose';
import { Types, type Model } from 'mongoose';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { registerUsers, type TestUser } from './factories/users.factory';
import { expectStockInvariants } from './support/invariants';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';
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
    expect(count(outcomes, (o) => o.status === 409 && o.code === 'ALREADY_PURCHASED')).toBe(200);
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
