import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdmissionGate } from '../src/admission/admission-gate';
import { DatabaseSteps } from '../src/database/database-steps';
import { PurchaseFastLane } from '../src/purchases/fast-lane/purchase-fast-lane';
import { createSale, secondsFromNow } from './factories/catalog.factory';
import { registerUsers, type TestUser } from './factories/users.factory';
import { HeldAttempts } from './support/admission-probes';
import { createMonitoredTestApp, recordCommands } from './support/command-log';
import { waitUntil } from './support/processes';
import { controlBackgroundWork, type BackgroundWork } from './support/background-work';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

interface Request {
  token?: string;
  body?: unknown;
  /** Sent as is, for bodies a JSON encoder would not write. */
  raw?: string;
  type?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Header values that depend on the moment, not on the path: compared within a second. */
const TIMING_HEADERS = ['x-ratelimit-reset', 'retry-after'];
const IGNORED_HEADERS = ['date', 'connection', 'keep-alive', ...TIMING_HEADERS];

function expectSameAnswer(lane: Answer, plain: Answer, row: string) {
  const comparable = (answer: Answer) => ({
    row,
    status: answer.status,
    body: answer.body,
    headers: Object.fromEntries(
      Object.entries(answer.headers).filter(([name]) => !IGNORED_HEADERS.includes(name)),
    ),
    timing: TIMING_HEADERS.filter((name) => name in answer.headers),
  });
  expect(comparable(lane)).toEqual(comparable(plain));
  for (const name of TIMING_HEADERS.filter((header) => header in plain.headers)) {
    expect(Math.abs(Number(lane.headers[name]) - Number(plain.headers[name]))).toBeLessThanOrEqual(
      1,
    );
  }
}

describe('the purchase fast lane answers exactly as the ordinary path (e2e)', () => {
  const database = uniqueDatabaseName();
  // A sale read stays in memory for 10 s, so a test of "no command per refusal" is not one of timing.
  // A line of one waiter per sale, so that the gate's own refusals are in the table too.
  const env = {
    THROTTLE_PURCHASE_LIMIT: '5',
    SALE_CACHE_TTL_MS: '10000',
    ADMISSION_MARGIN: '1',
    ADMISSION_QUEUE_CAP: '1',
  };
  let lane: NestFastifyApplication;
  let plain: NestFastifyApplication;
  let background: BackgroundWork;
  let admin: string;
  let users: TestUser[];
  const sales: Record<string, string> = {};

  const attempt = async (
    app: NestFastifyApplication,
    saleId: string,
    { token, body = {}, raw, type }: Request,
  ): Promise<Answer> => {
    let call = http(app).post(`/api/sales/${saleId}/purchase`);
    if (token) call = call.set('authorization', `Bearer ${token}`);
    if (type) call = call.set('content-type', type);
    const response = await call.send(raw ?? (body as object));
    return { status: response.status, headers: response.headers, body: response.body as unknown };
  };

  const answeredByLane = () => lane.get(PurchaseFastLane).answered;

  beforeAll(async () => {
    lane = await createMonitoredTestApp(database, env);
    background = controlBackgroundWork(lane);
    plain = await createTestApp(database, { ...env, PURCHASE_FAST_LANE: 'false' });
    admin = await adminToken(lane);
    users = await registerUsers(lane, 20);
    // Every token verified once on both instances, as after a buyer's first request.
    for (const token of [admin, ...users.map((user) => user.token)]) {
      for (const app of [lane, plain]) {
        await http(app).get('/api/auth/me').set('authorization', `Bearer ${token}`).expect(200);
      }
    }
    const [buyer, partial] = users;
    sales.soldOut = (await createSale(lane, admin, { totalQuantity: 1 })).id;
    await http(plain)
      .post(`/api/sales/${sales.soldOut}/purchase`)
      .auth(buyer.token, { type: 'bearer' })
      .send({})
      .expect(201);
    // The same attempt on the lane's instance, so that both count one attempt of the buyer's.
    await http(lane)
      .post(`/api/sales/${sales.soldOut}/purchase`)
      .auth(buyer.token, { type: 'bearer' })
      .send({})
      .expect(409);
    sales.notStarted = (await createSale(lane, admin, { startTime: secondsFromNow(3600) })).id;
    sales.ended = (
      await createSale(lane, admin, { startTime: secondsFromNow(-10), endTime: secondsFromNow(-5) })
    ).id;
    sales.fewLeft = (await createSale(lane, admin, { totalQuantity: 3, maxPerUser: 3 })).id;
    await http(plain)
      .post(`/api/sales/${sales.fewLeft}/purchase`)
      .auth(partial.token, { type: 'bearer' })
      .send({ quantity: 2 })
      .expect(201);
    sales.open = (await createSale(lane, admin, { totalQuantity: 100, maxPerUser: 2 })).id;
  });

  afterAll(async () => {
    await lane?.close();
    await plain?.close();
  });

  it('answers every row of the table the same way, and the lane answers the refusals memory can give', async () => {
    const [buyer, , a, b, c, d, e, f, g] = users;
    const rows: Array<[string, string, Request, boolean]> = [
      // [row, sale, request, answered by the lane?]
      ['no token', sales.soldOut, {}, false],
      ['a token never verified', sales.soldOut, { token: 'x.y.z' }, false],
      ['the admin (403: buyers only)', sales.soldOut, { token: admin }, false],
      ['an id that is not one', 'not-an-id', { token: a.token }, false],
      ['quantity 0', sales.open, { token: a.token, body: { quantity: 0 } }, false],
      ['quantity as a string', sales.open, { token: a.token, body: { quantity: '1' } }, false],
      ['an unknown field', sales.open, { token: a.token, body: { quantity: 1, x: 1 } }, false],
      ['an array body', sales.open, { token: a.token, body: [] }, false],
      [
        'a duplicate key',
        sales.soldOut,
        { token: a.token, raw: '{"quantity":1,"quantity":2}', type: 'application/json' },
        false,
      ],
      [
        'a leading zero (not JSON)',
        sales.soldOut,
        { token: a.token, raw: '{"quantity":01}', type: 'application/json' },
        false,
      ],
      [
        'a quantity over the DTO maximum',
        sales.soldOut,
        { token: a.token, body: { quantity: 10_001 } },
        false,
      ],
      [
        'a text body',
        sales.soldOut,
        { token: a.token, raw: 'quantity=1', type: 'text/plain' },
        false,
      ],
      [
        'JSON with spaces and a charset',
        sales.soldOut,
        { token: a.token, raw: ' { "quantity" : 1 } ', type: 'application/json; charset=utf-8' },
        true,
      ],
      ['an unknown sale', '0123456789abcdef01234567', { token: b.token }, true],
      ['an upper-case id', sales.soldOut.toUpperCase(), { token: b.token }, true],
      ['more than maxPerUser', sales.open, { token: b.token, body: { quantity: 3 } }, true],
      ['sold out', sales.soldOut, { token: c.token }, true],
      ['sold out, asked by its buyer', sales.soldOut, { token: buyer.token }, true],
      ['not started', sales.notStarted, { token: c.token, body: { quantity: 1 } }, true],
      ['ended', sales.ended, { token: d.token }, true],
      ['fewer left than asked', sales.fewLeft, { token: e.token, body: { quantity: 2 } }, true],
      // THROTTLE_PURCHASE_LIMIT=5 per user per sale: f has used none on soldOut yet.
      ...Array.from({ length: 7 }, (_, i): [string, string, { token: string }, boolean] => [
        `throttle, attempt ${i + 1} of 7`,
        sales.soldOut,
        { token: f.token },
        true,
      ]),
      ['throttled on one sale, not on another', sales.ended, { token: f.token }, true],
      [
        'an invalid body from a throttled buyer (429 before validation)',
        sales.soldOut,
        { token: f.token, body: { quantity: 'x' } },
        false,
      ],
      ['an open sale with stock (handed to the route)', sales.open, { token: g.token }, false],
    ];
    for (const [row, saleId, request, fast] of rows) {
      const before = answeredByLane();
      const fromLane = await attempt(lane, saleId, request);
      expect({ row, answeredByLane: answeredByLane() - before }).toEqual({
        row,
        answeredByLane: fast ? 1 : 0,
      });
      if (row.startsWith('an open sale')) {
        // One buyer cannot buy twice: the ordinary path buys for another user, and the answers agree in shape.
        const fromPlain = await attempt(plain, saleId, { token: a.token });
        expect([fromLane.status, fromPlain.status]).toEqual([201, 201]);
        expect(Object.keys(fromLane.body as object)).toEqual(Object.keys(fromPlain.body as object));
        continue;
      }
      expectSameAnswer(fromLane, await attempt(plain, saleId, request), row);
    }
    expect(plain.get(PurchaseFastLane).answered).toBe(0);
  });

  it("answers the admission gate's refusals the same way on both paths (both hand them to the route)", async () => {
    /** Two attempts held in the database (stock 1 + margin 1), one in line, one more: the line is full. */
    const gateAnswers = async (app: NestFastifyApplication, [x, y, waiter, extra]: TestUser[]) => {
      const held = new HeldAttempts();
      app.get(DatabaseSteps).install(held);
      try {
        const saleId = (await createSale(lane, admin, { totalQuantity: 1 })).id;
        const inFlight = [x, y].map((user) => attempt(app, saleId, { token: user.token }));
        await waitUntil(() => held.reached.length === 2, 10_000, 'two attempts in flight');
        const waiting = attempt(app, saleId, { token: waiter.token });
        await waitUntil(() => app.get(AdmissionGate).waiting(saleId) === 1, 10_000, 'one in line');
        const before = answeredByLane();
        const full = await attempt(app, saleId, { token: extra.token });
        const byLane = answeredByLane() - before;
        for (const user of [x, y]) held.proceed(user.id);
        const bought = (await Promise.all(inFlight)).map((answer) => answer.status).sort();
        return { full, soldOutInLine: await waiting, byLane, bought };
      } finally {
        app.get(DatabaseSteps).install(null);
      }
    };
    const fromLane = await gateAnswers(lane, users.slice(12, 16));
    const fromPlain = await gateAnswers(plain, users.slice(16, 20));
    expect(fromLane.full).toMatchObject({ status: 503, body: { code: 'ADMISSION_QUEUE_FULL' } });
    expectSameAnswer(fromLane.full, fromPlain.full, 'a full line');
    expect(fromLane.soldOutInLine).toMatchObject({ status: 409, body: { code: 'SOLD_OUT' } });
    expectSameAnswer(fromLane.soldOutInLine, fromPlain.soldOutInLine, 'sold out while in line');
    expect([fromLane.bought, fromPlain.bought]).toEqual([
      [201, 409],
      [201, 409],
    ]);
    expect(fromLane.byLane).toBe(0);
  });

  it('costs no database command for a refusal memory can give', async () => {
    const [, , , , , , , , , h] = users;
    // The status sweep (each second) and the reconciler write sales too: only the requests are counted.
    await background.hold();
    // Both sales' state in memory from here (a snapshot lives SALE_CACHE_TTL_MS, 1 s by default).
    await attempt(lane, sales.soldOut, { token: h.token });
    await attempt(lane, sales.notStarted, { token: h.token });
    const log = recordCommands(lane);
    try {
      const before = answeredByLane();
      for (let i = 0; i < 4; i += 1) {
        expect((await attempt(lane, sales.soldOut, { token: h.token })).status).toBe(409);
        expect((await attempt(lane, sales.notStarted, { token: h.token })).status).toBe(409);
      }
      expect(answeredByLane() - before).toBe(8);
      expect(log.take().filter((command) => !/^(hello|ping|isMaster)/i.test(command))).toEqual([]);
    } finally {
      log.stop();
      background.release();
    }
  });
});
