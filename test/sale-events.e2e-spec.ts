import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Types } from 'mongoose';
import { createSale, secondsFromNow, type SaleBody } from './factories/catalog.factory';
import { registerUsers, type TestUser } from './factories/users.factory';
import { SseClient, type SseEvent } from './support/sse-client';
import { openSaleOver, startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import {
  adminToken,
  baseUrl,
  createTestApp,
  http,
  uniqueDatabaseName,
  withTestApp,
} from './support/test-app';

type Entry = { rank: number; username: string; quantity: number; purchasedAt: string };
const INTERVAL_MS = 400;

const saleEvents = (client: SseClient) => client.named('sale').map((e) => e.data as SaleBody);
const entries = (client: SseClient) =>
  client.named('purchases').flatMap((e) => (e.data as { items: Entry[] }).items);
/**
 * The README's EventSource snippet, event by event: render each `sale`, add each `purchases` event's
 * buyers, and close (hear nothing more) at a sold-out or ended sale.
 */
function readmeSnippetBuyers(events: SseEvent[]): { buyers: string[]; closedOn?: string } {
  const buyers: string[] = [];
  for (const { event, data } of events) {
    if (event === 'purchases')
      buyers.push(...(data as { items: Entry[] }).items.map((e) => e.username));
    const status = event === 'sale' ? (data as SaleBody).status : undefined;
    if (status === 'sold_out' || status === 'ended') return { buyers, closedOn: status };
  }
  return { buyers };
}
const isSale = (status: string) => (e: SseEvent) =>
  e.event === 'sale' && (e.data as SaleBody).status === status;

describe('the live sale stream, one instance (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let admin: string;
  const open: SseClient[] = [];

  const subscribe = async (saleId: string, target = app) => {
    const client = await SseClient.connect(`${baseUrl(target)}/api/sales/${saleId}/events`);
    open.push(client);
    return client;
  };
  const buy = (user: TestUser, saleId: string) =>
    http(app).post(`/api/sales/${saleId}/purchase`).auth(user.token, { type: 'bearer' }).send({});

  beforeAll(async () => {
    app = await createTestApp(database, { SSE_MIN_INTERVAL_MS: String(INTERVAL_MS) });
    admin = await adminToken(app);
  });
  afterEach(() => open.splice(0).forEach((client) => client.close()));
  afterAll(() => app.close());

  it('starts with the sale exactly as GET /sales/:id answers it, with the headers of every route', async () => {
    // Not started: an open sale's activatedAt is set by the status sweep, which may run between the reads.
    const sale = await createSale(app, admin, {
      totalQuantity: 5,
      startTime: secondsFromNow(3600),
    });
    const client = await SseClient.connect(`${baseUrl(app)}/api/sales/${sale.id}/events`, {
      headers: { origin: 'http://localhost:3000' },
    });
    open.push(client);
    expect(client.status).toBe(200);
    expect(client.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      'access-control-allow-origin': '*',
    });
    expect(client.headers['content-security-policy']).toContain("default-src 'none'");
    const first = await client.waitFor(() => true);
    const current = (await http(app).get(`/api/sales/${sale.id}`).expect(200)).body as SaleBody;
    expect(first).toMatchObject({ event: 'sale', data: current });
    expect(client.isEnded).toBe(false);
  });

  it('sends the sale as active when an admin opens it', async () => {
    const sale = await createSale(app, admin, { startTime: secondsFromNow(3600) });
    const client = await subscribe(sale.id);
    await client.waitFor(isSale('scheduled'));
    await http(app)
      .post(`/api/sales/${sale.id}/activate`)
      .auth(admin, { type: 'bearer' })
      .expect(200);
    const active = await client.waitFor(isSale('active'));
    expect(active.data).toMatchObject({ id: sale.id, remainingQuantity: sale.totalQuantity });
  });

  it('sends the sale as active when its start time comes, with no write at all', async () => {
    const sale = await createSale(app, admin, { startTime: secondsFromNow(1.5) });
    const client = await subscribe(sale.id);
    await client.waitFor(isSale('scheduled'));
    await client.waitFor(isSale('active'), 10_000, 'the start time to open the sale');
  });

  it('sends each purchase as a leaderboard entry, ranks in order, and the counters with it', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 10 });
    const client = await subscribe(sale.id);
    const buyers = await registerUsers(app, 3);
    for (const [index, buyer] of buyers.entries()) {
      await buy(buyer, sale.id).expect(201);
      await client.until(() => entries(client).length === index + 1, 10_000, `purchase ${index}`);
    }
    expect(entries(client)).toEqual(
      buyers.map((buyer, index) => ({
        rank: index + 1,
        username: buyer.username,
        quantity: 1,
        purchasedAt: expect.any(String),
      })),
    );
    await client.waitFor((e) => e.event === 'sale' && (e.data as SaleBody).soldQuantity === 3);
    expect(saleEvents(client).at(-1)).toMatchObject({ remainingQuantity: 7, status: 'active' });
  });

  it('a client that joins late gets only the purchases after it joined', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 10 });
    const [early, late] = await registerUsers(app, 2);
    await buy(early, sale.id).expect(201);
    const client = await subscribe(sale.id);
    expect((await client.waitFor(() => true)).data).toMatchObject({ soldQuantity: 1 });
    await buy(late, sale.id).expect(201);
    await client.until(() => entries(client).length > 0);
    expect(entries(client)).toEqual([
      expect.objectContaining({ rank: 2, username: late.username }),
    ]);
  });

  it('on sell-out sends the last buyers, then the final sale, then ends the stream', async () => {
    const sale = await createSale(app, admin, { totalQuantity: 2 });
    const client = await subscribe(sale.id);
    const [first, last] = await registerUsers(app, 2);
    await buy(first, sale.id).expect(201);
    await buy(last, sale.id).expect(201);
    await client.ended;
    expect(saleEvents(client).at(-1)).toMatchObject({
      status: 'sold_out',
      remainingQuantity: 0,
      soldQuantity: 2,
    });
    expect(entries(client).map((e) => [e.rank, e.username])).toEqual([
      [1, first.username],
      [2, last.username],
    ]);
    // The last buyer comes before the sold-out sale, which is the stream's last event.
    const lastBuyerAt = client.events.findIndex(
      (e) =>
        e.event === 'purchases' &&
        (e.data as { items: Entry[] }).items.some((item) => item.username === last.username),
    );
    const soldOutAt = client.events.findIndex(isSale('sold_out'));
    expect(soldOutAt).toBe(client.events.length - 1);
    expect(lastBuyerAt).toBeGreaterThanOrEqual(0);
    expect(lastBuyerAt).toBeLessThan(soldOutAt);
    // A client arriving now gets the final state and the end at once.
    const after = await subscribe(sale.id);
    await after.ended;
    expect(after.events.map((e) => e.event)).toEqual(['sale']);
    expect(saleEvents(after)[0]).toMatchObject({ status: 'sold_out' });
  });

  it("the README's EventSource logic (stop at a final sale) sees every buyer of a sell-out", async () => {
    const units = 6;
    const sale = await createSale(app, admin, { totalQuantity: units });
    const buyers = await registerUsers(app, units);
    const client = await subscribe(sale.id);
    await client.waitFor(() => true);
    await Promise.all(buyers.map((buyer) => buy(buyer, sale.id).expect(201)));
    await client.ended;
    const shown = readmeSnippetBuyers(client.events);
    expect(shown.closedOn).toBe('sold_out');
    expect(new Set(shown.buyers)).toEqual(new Set(buyers.map((buyer) => buyer.username)));
  });

  it('coalesces a burst: far fewer sale events than purchases, the last with the final counts', async () => {
    const burst = 24;
    const sale = await createSale(app, admin, { totalQuantity: 100 });
    const buyers = await registerUsers(app, burst);
    const client = await subscribe(sale.id);
    await client.waitFor(() => true);
    const started = Date.now();
    await Promise.all(buyers.map((buyer) => buy(buyer, sale.id).expect(201)));
    const elapsed = Date.now() - started;
    await client.waitFor((e) => e.event === 'sale' && (e.data as SaleBody).soldQuantity === burst);
    await client.until(() => entries(client).length === burst);
    const updates = saleEvents(client).slice(1);
    // At most one per interval (plus the trailing one), whatever the number of purchases.
    expect(updates.length).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 2);
    expect(updates.length).toBeLessThan(burst);
    const gaps = client
      .named('sale')
      .slice(1)
      .map((e, i, all) => (i === 0 ? Infinity : e.at - all[i - 1].at));
    // Arrival times carry this process's event-loop delays: half the interval still tells apart
    // coalesced sends from one per purchase (milliseconds apart).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL_MS / 2);
    expect(updates.at(-1)).toMatchObject({ soldQuantity: burst, remainingQuantity: 100 - burst });
    expect(new Set(entries(client).map((e) => e.username))).toEqual(
      new Set(buyers.map((b) => b.username)),
    );
    expect(entries(client)).toHaveLength(burst); // each buyer once
  });

  it('answers a client that asks for JSON (Swagger UI) with the sale, and ends; */* gets the stream', async () => {
    // Scheduled an hour ahead: nothing changes the sale between the reads compared.
    const sale = await createSale(app, admin, { startTime: secondsFromNow(3600) });
    const current = (await http(app).get(`/api/sales/${sale.id}`).expect(200)).body as SaleBody;
    const snapshot = await http(app)
      .get(`/api/sales/${sale.id}/events`)
      .set('accept', 'application/json')
      .expect(200);
    expect(snapshot.headers['content-type']).toMatch(/^application\/json/);
    expect(snapshot.body).toEqual(current);
    const curl = await SseClient.connect(`${baseUrl(app)}/api/sales/${sale.id}/events`, {
      headers: { accept: '*/*' },
    });
    open.push(curl);
    expect(curl.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect((await curl.waitFor(() => true)).data).toEqual(current);
  });

  it('answers HEAD with the stream headers and nothing more', async () => {
    const sale = await createSale(app, admin);
    const head = await http(app).head(`/api/sales/${sale.id}/events`).expect(200);
    expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  });

  it('answers 404 SALE_NOT_FOUND and 400 INVALID_ID like the other sale routes', async () => {
    const missing = await SseClient.connect(
      `${baseUrl(app)}/api/sales/${new Types.ObjectId().toHexString()}/events`,
    );
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ statusCode: 404, code: 'SALE_NOT_FOUND' });
    const invalid = await SseClient.connect(`${baseUrl(app)}/api/sales/abc/events`);
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ statusCode: 400, code: 'INVALID_ID' });
  });
});

describe('the live sale stream: caps, heartbeat, shutdown (e2e)', () => {
  const database = uniqueDatabaseName();
  const streamUrl = (app: NestFastifyApplication, saleId: string) =>
    `${baseUrl(app)}/api/sales/${saleId}/events`;

  it('refuses streams beyond the per-address and per-instance caps in the standard shape', async () => {
    const env = { SSE_MAX_CLIENTS: '3', SSE_MAX_CLIENTS_PER_ADDRESS: '2' };
    await withTestApp(database, env, async (app) => {
      const sale = await createSale(app, await adminToken(app));
      const url = streamUrl(app, sale.id);
      const from = (localAddress: string) => SseClient.connect(url, { localAddress });
      const clients = [await from('127.0.0.1'), await from('127.0.0.1')];
      try {
        const third = await from('127.0.0.1');
        expect(third.status).toBe(429);
        expect(third.headers['retry-after']).toBe('5');
        expect(third.json).toEqual({
          statusCode: 429,
          code: 'TOO_MANY_STREAMS',
          message: 'Too many live streams open from your address; close one first',
        });
        clients.push(await from('127.0.0.2'));
        const full = await from('127.0.0.3');
        expect(full.status).toBe(503);
        expect(full.json).toMatchObject({ statusCode: 503, code: 'STREAMS_AT_CAPACITY' });
        expect(clients.map((c) => c.status)).toEqual([200, 200, 200]);
        // A closed stream frees its place.
        clients.shift()!.close();
        await waitForStatus(() => from('127.0.0.3'), 200, clients);
      } finally {
        clients.forEach((client) => client.close());
      }
    });
  });

  it('keeps a quiet stream open past the socket idle and request timeouts with comment heartbeats', async () => {
    const env = {
      SOCKET_IDLE_TIMEOUT_MS: '1000',
      SSE_HEARTBEAT_MS: '250',
      ADMISSION_MAX_WAIT_MS: '500', // a waiting buyer must hear back before the idle timeout
      // These bound how long a request takes to arrive, not how long its answer lasts.
      REQUEST_TIMEOUT_MS: '500',
      HEADERS_TIMEOUT_MS: '200',
    };
    await withTestApp(database, env, async (app) => {
      const sale = await createSale(app, await adminToken(app));
      const client = await SseClient.connect(streamUrl(app, sale.id));
      try {
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect(client.isEnded).toBe(false);
        expect(client.comments).toBeGreaterThanOrEqual(3);
      } finally {
        client.close();
      }
    });
  });

  it('ends open streams at shutdown, so the app closes promptly', async () => {
    const app = await createTestApp(database);
    const sale = await createSale(app, await adminToken(app));
    const clients = await Promise.all(
      [1, 2, 3].map(() => SseClient.connect(streamUrl(app, sale.id))),
    );
    const closing = app.close();
    const guard = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('app.close() hung on open streams')), 15_000).unref(),
    );
    await Promise.race([closing, guard]);
    await Promise.all(clients.map((client) => client.ended));
    expect(clients.every((client) => client.isEnded)).toBe(true);
  });
});

describe('the live sale stream in the built service (e2e)', () => {
  let child: ChildApp | undefined;
  afterEach(async () => {
    if (child) await stopChildApp(child, 'SIGKILL'); // only if the test left it running
  });

  it('a SIGTERM with streams open ends them and the process exits promptly', async () => {
    child = await startChildApp(uniqueDatabaseName());
    const saleId = await openSaleOver(child.url);
    const clients = await Promise.all(
      [1, 2].map(() => SseClient.connect(`${child!.url}/api/sales/${saleId}/events`)),
    );
    await Promise.all(clients.map((client) => client.waitFor(() => true)));
    const started = Date.now();
    const exited = stopChildApp(child, 'SIGTERM');
    const guard = new Promise((_, reject) =>
      setTimeout(() => reject(new Error('no exit 20 s after SIGTERM')), 20_000).unref(),
    );
    // Nest closes the app, then re-raises the signal: the process ends by SIGTERM, after the close.
    await Promise.race([exited, guard]);
    await Promise.all(clients.map((client) => client.ended));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(child.output.join('')).not.toMatch(/ERROR/);
  });
});

/** Retries `open` until it answers `status` (a closed stream is released when its socket closes). */
async function waitForStatus(open: () => Promise<SseClient>, status: number, keep: SseClient[]) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const client = await open();
    if (client.status === status) {
      keep.push(client);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${status} after 50 attempts`);
}
