import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jsonBody, rawRequest } from './support/raw-http';
import { baseUrl, createTestApp, uniqueDatabaseName } from './support/test-app';

/** Issue 18 point 12: the refusals node:http writes itself, before any framework sees the request. */
describe('refusals node:http makes on its own, in the error shape (e2e, raw sockets)', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName());
    url = baseUrl(app);
  });
  afterAll(() => app.close());

  it('answers an HTTP/1.1 request without Host with 400 HOST_REQUIRED and closes', async () => {
    const response = await rawRequest(url, ['GET /health HTTP/1.1\r\n\r\n']);
    expect(response.status).toBe(400);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      connection: 'close',
    });
    expect(jsonBody(response)).toEqual({
      statusCode: 400,
      code: 'HOST_REQUIRED',
      message: 'An HTTP/1.1 request must have a Host header',
    });
  });

  it('answers `Expect: 200-ok` with 417 EXPECTATION_FAILED and closes', async () => {
    const response = await rawRequest(url, [
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    ]);
    expect(response.status).toBe(417);
    expect(response.headers).toMatchObject({ connection: 'close' });
    expect(jsonBody(response)).toEqual({
      statusCode: 417,
      code: 'EXPECTATION_FAILED',
      message: 'Only `Expect: 100-continue` is understood',
    });
  });

  it('still serves HTTP/1.0 without Host, and HTTP/1.1 with it, as before', async () => {
    const old = await rawRequest(url, ['GET /health HTTP/1.0\r\n\r\n']);
    const current = await rawRequest(url, [
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    expect([old.status, current.status]).toEqual([200, 200]);
    expect(jsonBody(current)).toMatchObject({ status: 'ok' });
  });
});
