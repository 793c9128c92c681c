import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, type Socket } from 'node:net';
import { jsonBody, rawRequest } from './support/raw-http';
import { baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** Issue 8: what the HTTP layer answers below the controllers, and how long it waits. */
describe('hostile connections: timeouts, limits and framework errors (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp(database, {
      REQUEST_TIMEOUT_MS: '1500',
      HEADERS_TIMEOUT_MS: '1000',
      MAX_CONNECTIONS: '20',
      KEEP_ALIVE_TIMEOUT_MS: '500',
    });
    url = baseUrl(app);
  });
  afterAll(() => app.close());

  const expectShape = (body: Record<string, unknown> | undefined, status: number, code: string) =>
    expect(body).toEqual({ statusCode: status, code, message: expect.any(String) });

  it('answers a 20 KB header with 431 HEADERS_TOO_LARGE in the error shape', async () => {
    const response = await rawRequest(url, [
      `GET /api/products HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    expect(response.status).toBe(431);
    expectShape(jsonBody(response), 431, 'HEADERS_TOO_LARGE');
  });

  it('answers garbage instead of HTTP with 400 MALFORMED_REQUEST in the error shape', async () => {
    const response = await rawRequest(url, ['GARBAGE\x01\x02 not http\r\n\r\n']);
    expect(response.status).toBe(400);
    expectShape(jsonBody(response), 400, 'MALFORMED_REQUEST');
  });

  it('cuts headers that trickle in with 408 REQUEST_TIMEOUT in the error shape, within seconds', async () => {
    const steps = ['GET /api/products HTTP/1.1\r\n'];
    const trickle = Array.from({ length: 20 }, (_, i) => [{ pauseMs: 500 }, `X-Slow-${i}: 1\r\n`]);
    const response = await rawRequest(url, [...steps, ...trickle.flat()], 8_000);
    expect(response.status).toBe(408);
    expectShape(jsonBody(response), 408, 'REQUEST_TIMEOUT');
    expect(response.elapsedMs).toBeLessThan(5_000);
  });

  it('cuts a body sent one byte at a time with 408 REQUEST_TIMEOUT, within seconds', async () => {
    const head =
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n';
    const drip = Array.from({ length: 40 }, () => [{ pauseMs: 250 }, ' ']);
    const response = await rawRequest(url, [head, ...drip.flat()], 9_000);
    expect(response.status).toBe(408);
    expectShape(jsonBody(response), 408, 'REQUEST_TIMEOUT');
    expect(response.elapsedMs).toBeLessThan(5_000);
  });

  // node checks keep-alive and request timeouts on an interval (here 250 ms), so "within" is approximate.
  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const response = await rawRequest(url, ['GET /health HTTP/1.1\r\nHost: x\r\n\r\n'], 6_000);
    expect(response.status).toBe(200);
    expect(response.elapsedMs).toBeLessThan(3_000);
  });

  it('answers a connection that never sends a byte with 408 after HEADERS_TIMEOUT_MS', async () => {
    const response = await rawRequest(url, [], 8_000);
    expect(response.status).toBe(408);
    expectShape(jsonBody(response), 408, 'REQUEST_TIMEOUT');
    expect(response.elapsedMs).toBeLessThan(3_000);
  });

  it('refuses connections past MAX_CONNECTIONS', async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 20; i += 1) {
        const { hostname, port } = new URL(url);
        const socket = connect(Number(port), hostname);
        await new Promise((resolve) => socket.once('connect', resolve));
        sockets.push(socket);
      }
      const refused = await rawRequest(url, ['GET /health HTTP/1.1\r\nHost: x\r\n\r\n'], 3_000);
      expect(refused.status).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await http(app).get('/health').expect(200);
  });

  it('answers a 200-character path parameter with 414 URI_TOO_LONG in the error shape', async () => {
    const response = await http(app).get(`/api/products/${'a'.repeat(200)}`);
    expect(response.status).toBe(414);
    expectShape(response.body, 414, 'URI_TOO_LONG');
  });

  it('answers a path that is not valid percent-encoding with 400 INVALID_URL in the error shape', async () => {
    const response = await rawRequest(url, [
      'GET /api/products/%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    expect(response.status).toBe(400);
    expectShape(jsonBody(response), 400, 'INVALID_URL');
  });

  it('answers a wrong method on a known route with 405 METHOD_NOT_ALLOWED and Allow', async () => {
    const response = await http(app).delete('/api/products');
    expect(response.status).toBe(405);
    expectShape(response.body, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    const withId = await http(app).put('/api/sales/665f1c2e9b1e8a3f4c0d1234/purchase');
    expect(withId.status).toBe(405);
    expect(withId.headers.allow).toBe('POST');
    // An unknown path is still a 404.
    const unknown = await http(app).delete('/api/nowhere').expect(404);
    expectShape(unknown.body, 404, 'NOT_FOUND');
  });
});
