import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { registerUser, registerUsers, type TestUser } from './factories/users.factory';
import { createMonitoredTestApp, recordCommands } from './support/command-log';
import { itWhen, testRedis } from './support/conditional-tests';
import { waitUntil } from './support/processes';
import { testRedisPrefix } from './support/throttle-storage';
import { adminToken, baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

const PURCHASE_LIMIT = 5;

const lettersOf = (id: string) =>
  [...id].flatMap((char, index) => (/[a-f]/.test(char) ? [index] : []));

/** `count` other spellings of a hex id: its letters upper-cased by the bits of 1, 2, 3, ... */
function spellings(id: string, count: number): string[] {
  const letters = lettersOf(id);
  expect(2 ** letters.length - 1).toBeGreaterThanOrEqual(count);
  return Array.from({ length: count }, (_, n) =>
    [...id]
      .map((char, index) => {
        const bit = letters.indexOf(index);
        return bit >= 0 && ((n + 1) >> bit) & 1 ? char.toUpperCase() : char;
      })
      .join(''),
  );
}

/** Issue 18, point 1: a sale id in any letter case is one sale, so one purchase budget. */
describe.each([
  ['with the fast lane', 'true'],
  ['without the fast lane', 'false'],
])(
  'fair play: one purchase budget per sale whatever the spelling of its id, %s (e2e)',
  (_, lane) => {
    const database = uniqueDatabaseName();
    let app: NestFastifyApplication;
    let admin: string;

    beforeAll(async () => {
      app = await createTestApp(database, {
        THROTTLE_PURCHASE_LIMIT: String(PURCHASE_LIMIT),
        PURCHASE_FAST_LANE: lane,
      });
      admin = await adminToken(app);
    });
    afterAll(() => app.close());

    /** A sale whose id has at least `letters` letters (an id of digits has one spelling only). */
    async function saleWithLetters(letters: number, overrides: Record<string, unknown>) {
      for (;;) {
        const sale = await createSale(app, admin, overrides);
        if (lettersOf(sale.id).length >= letters) return sale;
      }
    }

    const attempt = (user: TestUser, saleId: string) =>
      http(app).post(`/api/sales/${saleId}/purchase`).auth(user.token, { type: 'bearer' }).send({});

    it('answers 429 when, after the budget is spent, one letter of the id is upper-cased', async () => {
      const sale = await saleWithLetters(1, { startTime: secondsFromNow(3600) });
      const user = await registerUser(app);
      const statuses: number[] = [];
      for (let i = 0; i < PURCHASE_LIMIT; i += 1)
        statuses.push((await attempt(user, sale.id)).status);
      expect(statuses).toEqual(Array(PURCHASE_LIMIT).fill(409));
      const [oneLetterUp] = spellings(sale.id, 1);
      expect(oneLetterUp).not.toBe(sale.id);
      const response = await attempt(user, oneLetterUp);
      expect({ status: response.status, code: (response.body as { code: string }).code }).toEqual({
        status: 429,
        code: 'TOO_MANY_REQUESTS',
      });
    });

    it('gives a bot cycling spellings at a sale start one budget: throttled after it, the 8 honest buyers win', async () => {
      const [bot, ...honest] = await registerUsers(app, 9);
      const sale = await saleWithLetters(4, { startTime: secondsFromNow(3), totalQuantity: 8 });
      const forms = spellings(sale.id, 15);
      expect(new Set([sale.id, ...forms]).size).toBe(16);

      // Before the start the bot spends its budget, one spelling per attempt: then 429 whatever it spells.
      const early: number[] = [];
      for (const form of forms.slice(0, PURCHASE_LIMIT + 3))
        early.push((await attempt(bot, form)).status);
      expect(early).toEqual([...Array(PURCHASE_LIMIT).fill(409), 429, 429, 429]);

      await waitUntil(() => new Date(sale.startTime).getTime() <= Date.now(), 10_000, 'start');
      // At the start the bot fires every other spelling at once, alongside one attempt per honest buyer.
      const [botAnswers, honestAnswers] = await Promise.all([
        Promise.all(forms.slice(PURCHASE_LIMIT + 3).map((form) => attempt(bot, form))),
        Promise.all(honest.map((user) => attempt(user, sale.id))),
      ]);
      const honestStatuses = honestAnswers.map((response) => response.status);
      // An honest buyer racing the start by a few milliseconds may meet SALE_NOT_STARTED: ask again.
      for (const [index, status] of honestStatuses.entries())
        if (status === 409) honestStatuses[index] = (await attempt(honest[index], sale.id)).status;
      expect(new Set(botAnswers.map((response) => response.status))).toEqual(new Set([429]));
      expect(honestStatuses).toEqual(Array(8).fill(201));

      const board = await http(app).get(`/api/sales/${sale.id}/leaderboard`).expect(200);
      const buyers = (board.body as { items: Array<{ username: string }> }).items.map(
        (row) => row.username,
      );
      expect(buyers).toHaveLength(8);
      expect(buyers).not.toContain(bot.username);
    });
  },
);

/** Issue 18, point 14: one IPv6 subscriber (a /64) is one client for per-address budgets. */
describe('fair play: per-address budgets count IPv6 clients by their /64 (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // The test talks to 127.0.0.1, which it names as the proxy, so X-Forwarded-For sets the client.
    app = await createTestApp(database, { TRUST_PROXY: '127.0.0.1', THROTTLE_HEALTH_LIMIT: '3' });
  });
  afterAll(() => app.close());

  const health = (client: string) => http(app).get('/health').set('x-forwarded-for', client);

  it('gives the addresses of one /64 one budget, and another /64 its own', async () => {
    const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:abcd::9'];
    const statuses: number[] = [];
    for (const client of sameNetwork) statuses.push((await health(client)).status);
    statuses.push((await health('2001:db8:1:2:ffff:ffff:ffff:ffff')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await health('2001:db8:1:3::1')).status).toBe(200);
  });
});

/** Issue 18, point 3: a body abandoned half-way is the client's doing, not the service's error. */
describe('fair play: abandoned request bodies (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  /** Sends the headers and half the promised body of a login, then drops the connection. */
  const abandonLogin = () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(Number(new URL(baseUrl(app)).port), '127.0.0.1', () => {
        socket.write(
          'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
            'Content-Length: 100\r\n\r\n{"email":"a@example.test",',
        );
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });

  it('logs nothing at error level and no stack for 20 abandoned bodies', async () => {
    const logged: Array<[string, string]> = [];
    for (const level of ['error', 'warn', 'log', 'debug'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push([level, String(args[0])]);
      });
    }
    for (let i = 0; i < 20; i += 1) await abandonLogin();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logged.filter(([level]) => level === 'error')).toEqual([]);
    expect(logged.filter(([, text]) => /\n\s+at /.test(text))).toEqual([]);
    // One low-level line stands for them all (at most one a minute, with the count).
    expect(logged.filter(([, text]) => /abandoned/.test(text)).length).toBeLessThanOrEqual(1);
    await http(app).get('/health').expect(200);
  });
});

/** Issue 18, point 8: a disabled account is shut out at once, from memory, on every instance. */
describe('fair play: a disabled account stops buying at once (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let admin: string;

  beforeAll(async () => {
    app = await createMonitoredTestApp(database);
    admin = await adminToken(app);
  });
  afterAll(() => app.close());

  const disable = (id: string, token = admin) =>
    http(app).delete(`/api/users/${id}`).auth(token, { type: 'bearer' });
  const buy = (target: NestFastifyApplication, user: TestUser, saleId: string) =>
    http(target)
      .post(`/api/sales/${saleId}/purchase`)
      .auth(user.token, { type: 'bearer' })
      .send({});

  it('refuses the token of a disabled buyer (401) on purchases and /auth/me, and its login', async () => {
    const [first, second] = [
      await createSale(app, admin, { totalQuantity: 5 }),
      await createSale(app, admin, { totalQuantity: 5 }),
    ];
    const user = await registerUser(app);
    await buy(app, user, first.id).expect(201);
    await buy(app, user, first.id).expect(409); // the token is now remembered by the fast lane
    await disable(user.id).expect(204);
    const refused = await buy(app, user, second.id);
    expect({ status: refused.status, code: (refused.body as { code: string }).code }).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    await http(app).get('/api/auth/me').auth(user.token, { type: 'bearer' }).expect(401);
    await http(app)
      .post('/api/auth/login')
      .send({ email: user.email, password: 'password-123' })
      .expect(401);
    await disable(user.id).expect(204); // again: already disabled
  });

  it('reads nothing from the database to refuse a disabled buyer', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 5 });
    const user = await registerUser(app);
    await disable(user.id).expect(204);
    const log = recordCommands(app);
    try {
      log.take();
      for (let i = 0; i < 5; i += 1) await buy(app, user, sale.id).expect(401);
      expect(log.take().filter((command) => / users$/.test(command))).toEqual([]);
    } finally {
      log.stop();
    }
  });

  it('answers 404 for an unknown or admin id, 403 to a buyer, 400 for a bad id', async () => {
    const user = await registerUser(app);
    await disable('665f1c2e9b1e8a3f4c0d1234').expect(404);
    const me = await http(app).get('/api/auth/me').auth(admin, { type: 'bearer' }).expect(200);
    await disable((me.body as { id: string }).id).expect(404);
    await disable(user.id, user.token).expect(403);
    await disable('nope').expect(400);
  });

  it('refuses the token on an instance booted after the account was disabled', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 5 });
    const user = await registerUser(app);
    await disable(user.id).expect(204);
    const later = await createTestApp(database);
    try {
      await waitUntil(async () => (await buy(later, user, sale.id)).status === 401, 5_000, '401');
    } finally {
      await later.close();
    }
  });

  itWhen(testRedis.available, testRedis.skipReason)(
    'tells every instance sharing Redis within a second',
    async () => {
      const env = { REDIS_URL: testRedis.url!, REDIS_PREFIX: testRedisPrefix() };
      const [a, b] = [await createTestApp(database, env), await createTestApp(database, env)];
      try {
        const sale = await createSale(a, admin, { totalQuantity: 5, maxPerUser: 5 });
        const user = await registerUser(a);
        await http(b)
          .post(`/api/sales/${sale.id}/purchase`)
          .auth(user.token, { type: 'bearer' })
          .send({})
          .expect(201);
        await http(a).delete(`/api/users/${user.id}`).auth(admin, { type: 'bearer' }).expect(204);
        const waited = await waitUntil(
          async () => (await buy(b, user, sale.id)).status === 401,
          1_000,
          'instance b refuses the token',
        );
        expect(waited).toBeLessThan(1_000);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
});
