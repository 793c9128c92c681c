import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SaleStreams } from '../src/sales/stream/sale-streams.service';
import { createSale } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { waitUntil } from './support/processes';
import { proxiedGet } from './support/proxied-request';
import { SseClient } from './support/sse-client';
import { adminToken, baseUrl, uniqueDatabaseName, withTestApp } from './support/test-app';

/**
 * Issue 18 point 2: live streams must not take the connections the API needs. Real sockets: streams
 * from one address, the API asked from others (any 127.x.y.z is another client on Linux).
 */
describe('live streams leave room for the API (e2e, real sockets)', () => {
  const database = uniqueDatabaseName();
  const streamUrl = (app: NestFastifyApplication, saleId: string) =>
    `${baseUrl(app)}/api/sales/${saleId}/events`;

  it('fills the stream cap (a quarter of MAX_CONNECTIONS by default) and still answers /health and the API to other clients', async () => {
    // A generous per-address cap: here only the instance's stream cap may stop one address.
    const env = { MAX_CONNECTIONS: '40', SSE_MAX_CLIENTS_PER_ADDRESS: '100' };
    await withTestApp(database, env, async (app) => {
      const sale = await createSale(app, await adminToken(app));
      const streams: SseClient[] = [];
      try {
        let refused: SseClient | undefined;
        while (!refused && streams.length <= 40) {
          const stream = await SseClient.connect(streamUrl(app, sale.id));
          if (stream.status === 200) streams.push(stream);
          else refused = stream;
        }
        expect(streams).toHaveLength(10);
        expect(refused?.status).toBe(503);
        expect(refused?.json).toMatchObject({ statusCode: 503, code: 'STREAMS_AT_CAPACITY' });
        refused?.close();
        // The streams are all open, and the API answers others, again and again.
        for (let i = 0; i < 5; i += 1) {
          expect((await proxiedGet(app, '/health', { from: '127.0.0.2' })).status).toBe(200);
          const read = await proxiedGet(app, `/api/sales/${sale.id}`, { from: '127.0.0.3' });
          expect(read.status).toBe(200);
        }
        expect(streams.every((stream) => !stream.isEnded)).toBe(true);
      } finally {
        streams.forEach((stream) => stream.close());
      }
    });
  });

  it('caps the streams of one user (a valid token) whatever the address, and anonymous ones per address', async () => {
    const env = { SSE_MAX_CLIENTS_PER_USER: '2' };
    await withTestApp(database, env, async (app) => {
      const sale = await createSale(app, await adminToken(app));
      const user = await registerUser(app);
      const as = (localAddress: string, token?: string) =>
        SseClient.connect(streamUrl(app, sale.id), {
          localAddress,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      const open = [await as('127.0.0.1', user.token), await as('127.0.0.2', user.token)];
      try {
        const third = await as('127.0.0.3', user.token);
        expect(third.status).toBe(429);
        expect(third.json).toEqual({
          statusCode: 429,
          code: 'TOO_MANY_STREAMS',
          message: 'Too many live streams open for your account; close one first',
        });
        // Without the token the same address is another client, within its own cap.
        open.push(await as('127.0.0.3'));
        expect(open.map((stream) => stream.status)).toEqual([200, 200, 200]);
      } finally {
        open.forEach((stream) => stream.close());
      }
    });
  });

  it('ends a stream after SSE_MAX_LIFETIME_MS with a retry hint, and gives its place back', async () => {
    const env = { SSE_MAX_LIFETIME_MS: '1000', SSE_MAX_CLIENTS: '1' };
    await withTestApp(database, env, async (app) => {
      const sale = await createSale(app, await adminToken(app));
      const stream = await SseClient.connect(streamUrl(app, sale.id));
      try {
        expect(stream.status).toBe(200);
        const opened = Date.now();
        await stream.until(() => stream.isEnded, 5_000, 'the end of the lifetime');
        const lasted = Date.now() - opened;
        expect(lasted).toBeGreaterThanOrEqual(800);
        expect(lasted).toBeLessThan(3_000);
        // The first retry comes with the stream; the last one tells EventSource to come back.
        expect(stream.retries).toHaveLength(2);
        expect(stream.retries[1]).toBeGreaterThanOrEqual(1_000);
        expect(stream.retries[1]).toBeLessThanOrEqual(5_000);
        await waitUntil(() => app.get(SaleStreams).openStreams === 0, 2_000, 'the place back');
        const next = await SseClient.connect(streamUrl(app, sale.id));
        next.close();
        expect(next.status).toBe(200);
      } finally {
        stream.close();
      }
    });
  });
});
