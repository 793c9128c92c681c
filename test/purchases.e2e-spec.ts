import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { registerUser, registerUsers, type TestUser } from './factories/users.factory';
import { controlBackgroundWork, type BackgroundWork } from './support/background-work';
import { createMonitoredTestApp, recordCommands } from './support/command-log';
import { itWhen, testDatabase } from './support/conditional-tests';
import { expectStockInvariants } from './support/invariants';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

describe('purchases and the leaderboard (e2e)', () => {
  let app: NestFastifyApplication;
  let admin: string;

  const buy = (user: TestUser, saleId: string, body: object = {}) =>
    http(app).post(`/api/sales/${saleId}/purchase`).auth(user.token, { type: 'bearer' }).send(body);

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName());
    admin = await adminToken(app);
  });
  afterAll(() => app.close());

  it('sells one unit by default and answers the purchase; the sale shows live counters', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 5 });
    const user = await registerUser(app);
    const response = await buy(user, sale.id).expect(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      saleId: sale.id,
      username: user.username,
      quantity: 1,
      purchasedAt: expect.any(String),
    });
    const after = (await http(app).get(`/api/sales/${sale.id}`).expect(200)).body;
    expect(after).toMatchObject({ remainingQuantity: 4, soldQuantity: 1, status: 'active' });
  });

  it('answers ALREADY_PURCHASED with the existing purchase on a second attempt, keeping stock', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 5, maxPerUser: 2 });
    const user = await registerUser(app);
    const first = await buy(user, sale.id, { quantity: 2 }).expect(201);
    const second = await buy(user, sale.id, { quantity: 1 }).expect(409);
    expect(second.body).toMatchObject({ code: 'ALREADY_PURCHASED', details: first.body });
    await expectStockInvariants(app, sale.id);
    expect((await http(app).get(`/api/sales/${sale.id}`)).body.remainingQuantity).toBe(3);
  });

  it('answers SOLD_OUT when nothing is left and marks the sale sold_out in the same step', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 1 });
    const [winner, loser] = await registerUsers(app, 2);
    const purchase = (await buy(winner, sale.id).expect(201)).body as object;
    // The buyer's own purchase wins over SOLD_OUT: a retry or a second tab is told it already bought.
    const retry = await buy(winner, sale.id).expect(409);
    expect(retry.body).toMatchObject({ code: 'ALREADY_PURCHASED', details: purchase });
    expect((await http(app).get(`/api/sales/${sale.id}`)).body.status).toBe('sold_out');
    const rejected = await buy(loser, sale.id).expect(409);
    expect(rejected.body.code).toBe('SOLD_OUT');
    await expectStockInvariants(app, sale.id);
  });

  it('answers INSUFFICIENT_STOCK when fewer units are left than asked, and keeps them', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 3, maxPerUser: 3 });
    const [first, second] = await registerUsers(app, 2);
    await buy(first, sale.id, { quantity: 2 }).expect(201);
    const rejected = await buy(second, sale.id, { quantity: 2 }).expect(409);
    expect(rejected.body).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: { remainingQuantity: 1 },
    });
    await buy(second, sale.id, { quantity: 1 }).expect(201);
    await expectStockInvariants(app, sale.id);
  });

  it('answers 400 QUANTITY_LIMIT_EXCEEDED above maxPerUser and VALIDATION_FAILED for bad quantities', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 10, maxPerUser: 2 });
    const user = await registerUser(app);
    const over = await buy(user, sale.id, { quantity: 3 }).expect(400);
    expect(over.body).toMatchObject({
      code: 'QUANTITY_LIMIT_EXCEEDED',
      details: { maxPerUser: 2 },
    });
    for (const quantity of [0, -1, 1.5, '1', null]) {
      expect((await buy(user, sale.id, { quantity }).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
    }
    expect((await buy(user, sale.id, { quantity: 1, extra: true }).expect(400)).body.code).toBe(
      'VALIDATION_FAILED',
    );
    await buy(user, sale.id, { quantity: 2 }).expect(201);
  });

  it('answers SALE_NOT_STARTED before startTime and SALE_ENDED after endTime', async () => {
    const user = await registerUser(app);
    const future = await createSale(app, admin, { startTime: secondsFromNow(3600) });
    // It says when to come back.
    expect((await buy(user, future.id).expect(409)).body).toEqual({
      statusCode: 409,
      code: 'SALE_NOT_STARTED',
      message: 'The sale has not started yet',
      details: { startTime: future.startTime },
    });
    const past = await createSale(app, admin, {
      startTime: secondsFromNow(-20),
      endTime: secondsFromNow(-10),
    });
    expect((await buy(user, past.id).expect(409)).body.code).toBe('SALE_ENDED');
    await expectStockInvariants(app, future.id);
  });

  it('lets a manually activated sale sell at once, even though its startTime was in the future', async () => {
    const user = await registerUser(app);
    const sale = await createSale(app, admin, { startTime: secondsFromNow(3600) });
    await buy(user, sale.id).expect(409);
    await http(app)
      .post(`/api/sales/${sale.id}/activate`)
      .auth(admin, { type: 'bearer' })
      .expect(200);
    await buy(user, sale.id).expect(201);
  });

  it('answers 404 SALE_NOT_FOUND, 400 INVALID_ID and 401 without a token', async () => {
    const user = await registerUser(app);
    expect((await buy(user, '0123456789abcdef01234567').expect(404)).body.code).toBe(
      'SALE_NOT_FOUND',
    );
    expect((await buy(user, 'nope').expect(400)).body.code).toBe('INVALID_ID');
    const sale = await createSale(app, admin);
    expect(
      (await http(app).post(`/api/sales/${sale.id}/purchase`).send({}).expect(401)).body.code,
    ).toBe('UNAUTHORIZED');
  });

  it('lists the caller’s purchases newest first with sale and product names', async () => {
    const user = await registerUser(app);
    const older = await createSale(app, admin, { name: 'Older drop' });
    const newer = await createSale(app, admin, { name: 'Newer drop' });
    await buy(user, older.id).expect(201);
    await buy(user, newer.id).expect(201);
    const mine = async (query = '') =>
      (
        await http(app)
          .get(`/api/purchases/me${query}`)
          .auth(user.token, { type: 'bearer' })
          .expect(200)
      ).body as { items: Array<{ saleName: string }>; total: number; page: number; limit: number };
    const all = await mine();
    expect(all).toMatchObject({ total: 2, page: 1, limit: 20 });
    expect(all.items.map((p) => p.saleName)).toEqual(['Newer drop', 'Older drop']);
    expect(all.items[0]).toMatchObject({
      saleId: newer.id,
      productName: 'Limited sneakers',
      quantity: 1,
    });
    // Paged like every other list.
    const second = await mine('?page=2&limit=1');
    expect(second).toMatchObject({ total: 2, page: 2, limit: 1 });
    expect(second.items.map((p) => p.saleName)).toEqual(['Older drop']);
    expect(
      (
        await http(app)
          .get('/api/purchases/me?limit=101')
          .auth(user.token, { type: 'bearer' })
          .expect(400)
      ).body.code,
    ).toBe('VALIDATION_FAILED');
    expect((await http(app).get('/api/purchases/me').expect(401)).body.code).toBe('UNAUTHORIZED');
  });

  describe('the leaderboard', () => {
    it('ranks buyers in acceptance order across pages, with nothing private in it', async () => {
      const sale = await createSale(app, admin, { totalQuantity: 10, maxPerUser: 3 });
      const buyers = await registerUsers(app, 7);
      // 10 units: buyers 0..4 take 1+2+3+1+2 = 9; buyer 5 asks 3 of the 1 left; buyer 6 takes it.
      for (const [index, user] of buyers.entries()) {
        await buy(user, sale.id, { quantity: (index % 3) + 1 }).expect(index === 5 ? 409 : 201);
      }
      type Board = { items: Array<{ rank: number; username: string }> };
      const page = async (n: number) =>
        (await http(app).get(`/api/sales/${sale.id}/leaderboard?page=${n}&limit=3`).expect(200))
          .body as Board;
      const ranked = (body: Board) => body.items.map((row) => [row.rank, row.username]);
      const [page1, page2, page3] = [await page(1), await page(2), await page(3)];
      // 6 buyers, 10 units: `total` counts rows, `unitsSold` counts units.
      expect(page1).toMatchObject({ saleId: sale.id, total: 6, unitsSold: 10, page: 1, limit: 3 });
      expect(ranked(page1)).toEqual([
        [1, buyers[0].username],
        [2, buyers[1].username],
        [3, buyers[2].username],
      ]);
      expect(ranked(page2)).toEqual([
        [4, buyers[3].username],
        [5, buyers[4].username],
        [6, buyers[6].username],
      ]);
      expect(page3.items).toEqual([]);
      expect(Object.keys(page1.items[0]).sort()).toEqual([
        'purchasedAt',
        'quantity',
        'rank',
        'username',
      ]);
      const text = JSON.stringify([page1, page2]);
      for (const user of buyers) {
        expect(text).not.toContain(user.email);
        expect(text).not.toContain(user.id);
      }
      expect(text).not.toMatch(/"(_id|userId|email|id)"/);
    });

    it('uses a default limit of 50 and validates page and limit', async () => {
      const sale = await createSale(app, admin);
      const page = await http(app).get(`/api/sales/${sale.id}/leaderboard`).expect(200);
      // Sent as text serialised once per read: still one JSON object, typed as JSON.
      expect(page.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(page.text).toBe(JSON.stringify(page.body));
      const body = page.body as unknown;
      expect(body).toMatchObject({ total: 0, unitsSold: 0, page: 1, limit: 50, items: [] });
      for (const query of ['limit=0', 'limit=101', 'page=0', 'page=x']) {
        expect(
          (await http(app).get(`/api/sales/${sale.id}/leaderboard?${query}`).expect(400)).body.code,
        ).toBe('VALIDATION_FAILED');
      }
      expect(
        (await http(app).get('/api/sales/0123456789abcdef01234567/leaderboard').expect(404)).body
          .code,
      ).toBe('SALE_NOT_FOUND');
    });

    itWhen(!testDatabase.isStandIn, 'the jongodb stand-in has no explain command')(
      'is served by an index scan, not a collection scan',
      async () => {
        const sale = await createSale(app, admin);
        const { PurchaseRecordsService } =
          await import('../src/purchases/purchase-records.service');
        const { Types } = await import('mongoose');
        const plan = JSON.stringify(
          await app
            .get(PurchaseRecordsService)
            .leaderboardQuery(new Types.ObjectId(sale.id), 0, 50)
            .explain(),
        );
        expect(plan).toContain('IXSCAN');
        expect(plan).not.toContain('COLLSCAN');
      },
    );
  });
});

describe('doomed purchase attempts (e2e, every database command counted)', () => {
  let app: NestFastifyApplication;
  let admin: string;
  let background: BackgroundWork;

  beforeAll(async () => {
    // The window below must not straddle a snapshot refresh (one read, which this test would count).
    // The job lease is renewed every third of its TTL: at 600 s, not within a test.
    app = await createMonitoredTestApp(uniqueDatabaseName(), {
      SALE_CACHE_TTL_MS: '10000',
      JOB_LEASE_TTL_MS: '600000',
    });
    background = controlBackgroundWork(app);
    admin = await adminToken(app);
  });
  afterAll(() => app.close());

  it('answers them from memory: one point read per buyer once the sale is known sold out, none for a retry', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 1 });
    const [winner, ...losers] = await registerUsers(app, 31);
    const buy = (user: TestUser) =>
      http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(user.token, { type: 'bearer' })
        .send({});
    // Only the requests below may reach the database: the status sweep and the reconciler are held.
    await background.hold();
    const log = recordCommands(app);
    try {
      const winnerPurchase = (await buy(winner).expect(201)).body as object;
      // The monitor sees the purchase path: without this, an empty log below would prove nothing.
      expect(log.take()).toEqual(expect.arrayContaining([expect.stringMatching(/ purchases$/)]));
      // A buyer's first refusal of this sale state reads whether they bought, so a buyer's retry is told so.
      expect((await buy(losers[0])).body.code).toBe('SOLD_OUT');
      expect(log.take()).toEqual(['find purchases']);
      const retry = await buy(winner).expect(409);
      expect(retry.body).toMatchObject({ code: 'ALREADY_PURCHASED', details: winnerPurchase });
      // A point read: the winner's one record, whoever else bought.
      expect(log.documentsReturned('purchases')).toBe(1);
      expect(log.take()).toEqual(['find purchases']);
      const codes = async () =>
        (await Promise.all(losers.map(buy))).map(
          (answer) => (answer.body as { code: string }).code,
        );
      expect(await codes()).toEqual(losers.map(() => 'SOLD_OUT'));
      expect(log.documentsReturned('purchases')).toBe(0);
      expect(log.take()).toEqual(losers.slice(1).map(() => 'find purchases'));
      // Every one of them retries: all answered from memory.
      expect(await codes()).toEqual(losers.map(() => 'SOLD_OUT'));
      expect((await buy(winner).expect(409)).body).toMatchObject({ code: 'ALREADY_PURCHASED' });
      expect(log.take()).toEqual([]);
    } finally {
      log.stop();
      background.release();
    }
    await expectStockInvariants(app, sale.id);
  });

  it('costs at most one point read per attempt when attempts cycle over 72 sold-out sales, however many bought', async () => {
    const buyers = await registerUsers(app, 3);
    const [attacker] = await registerUsers(app, 1);
    const sales = [];
    for (let i = 0; i < 72; i += 1) {
      const sale = await createSale(app, admin, { totalQuantity: buyers.length });
      for (const buyer of buyers) {
        await http(app)
          .post(`/api/sales/${sale.id}/purchase`)
          .auth(buyer.token, { type: 'bearer' })
          .send({})
          .expect(201);
      }
      sales.push(sale);
    }
    const attempt = (saleId: string) =>
      http(app)
        .post(`/api/sales/${saleId}/purchase`)
        .auth(attacker.token, { type: 'bearer' })
        .send({});
    await background.hold();
    const log = recordCommands(app);
    try {
      const rounds = [];
      for (let round = 0; round < 3; round += 1) {
        for (const sale of sales) expect((await attempt(sale.id)).body.code).toBe('SOLD_OUT');
        // The sales themselves are in memory from the purchases above: only purchases are read.
        const documents = log.documentsReturned('purchases');
        const purchases = log.take().filter((command) => command.endsWith(' purchases')).length;
        rounds.push({ purchases, documents });
      }
      // One point read per sale the first time (reading no buyer: the attacker bought nothing), then none.
      expect(rounds).toEqual([
        { purchases: 72, documents: 0 },
        { purchases: 0, documents: 0 },
        { purchases: 0, documents: 0 },
      ]);
    } finally {
      log.stop();
      background.release();
    }
  });
});
