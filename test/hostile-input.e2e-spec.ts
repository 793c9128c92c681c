import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale } from './factories/catalog.factory';
import { buildRegistration, registerUser } from './factories/users.factory';
import { jsonBody, rawRequest } from './support/raw-http';
import { adminToken, baseUrl, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** Issue 8: bodies and answers a hostile client can send or provoke. */
describe('hostile input: bodies, content types, amplification, headers (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
  });
  afterAll(() => app.close());

  // Arrays: 30,000 levels still fit in the 64 KiB body limit.
  const nested = (depth: number) => '{"a":' + '['.repeat(depth) + ']'.repeat(depth) + '}';

  it.each([40, 3_000, 30_000])(
    'answers JSON nested %i levels deep with 400 JSON_TOO_DEEP, not a 500',
    async (depth) => {
      const response = await http(app)
        .post('/api/auth/login')
        .set('content-type', 'application/json')
        .send(nested(depth));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        statusCode: 400,
        code: 'JSON_TOO_DEEP',
        message: expect.stringContaining('32'),
      });
    },
  );

  it('still accepts ordinary nesting (arrays inside objects)', async () => {
    const response = await http(app)
      .post('/api/auth/login')
      .send({ email: 'x@example.test', password: 'whatever-1', extra: [[{ a: [1] }]] });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it.each([
    [
      'application/x-www-form-urlencoded',
      'username=formuser&email=form%40example.test&password=password-123',
    ],
    ['text/plain', '{"email":"a@example.test","password":"password-123"}'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
    ],
  ])('refuses a %s body with 415 UNSUPPORTED_MEDIA_TYPE', async (type, body) => {
    const response = await http(app)
      .post('/api/auth/register')
      .set('content-type', type)
      .send(body);
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('application/json'),
    });
  });

  it.each([
    ['a compressed body (Content-Encoding: gzip)', { 'content-encoding': 'gzip' }],
    ['a latin1 charset', { 'content-type': 'application/json; charset=latin1' }],
  ])('refuses %s with 415 UNSUPPORTED_MEDIA_TYPE', async (_case, headers) => {
    const response = await http(app)
      .post('/api/auth/login')
      .set('content-type', 'application/json')
      .set(headers)
      .send(JSON.stringify({ email: 'a@example.test', password: 'password-123' }));
    expect(response.status).toBe(415);
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses bytes that are not UTF-8 with 400 INVALID_JSON, not a Content-Length complaint', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]); // {"\xff\xfe":1}
    const response = await rawRequest(baseUrl(app), [
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    ]);
    expect(response.status).toBe(400);
    expect(jsonBody(response)).toEqual({
      statusCode: 400,
      code: 'INVALID_JSON',
      message: 'The body is not valid UTF-8',
    });
  });

  it('accepts application/json with a charset', async () => {
    await http(app)
      .post('/api/auth/register')
      .set('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(buildRegistration()))
      .expect(201);
  });

  it('refuses a body of null (it is not {}) and a body that is not an object', async () => {
    const admin = await adminToken(app);
    const sale = await createSale(app, admin, { totalQuantity: 5 });
    const user = await registerUser(app);
    for (const body of ['null', '5', '"x"', '[]']) {
      const response = await http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(user.token, { type: 'bearer' })
        .set('content-type', 'application/json')
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    // Nothing was bought by any of them: the user's first real purchase still succeeds.
    await http(app)
      .post(`/api/sales/${sale.id}/purchase`)
      .auth(user.token, { type: 'bearer' })
      .send({})
      .expect(201);
  });

  it('refuses duplicate keys instead of silently taking the last value', async () => {
    const admin = await adminToken(app);
    const sale = await createSale(app, admin, { totalQuantity: 5, maxPerUser: 5 });
    const user = await registerUser(app);
    const response = await http(app)
      .post(`/api/sales/${sale.id}/purchase`)
      .auth(user.token, { type: 'bearer' })
      .set('content-type', 'application/json')
      .send('{"quantity":1,"quantity":5}');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      statusCode: 400,
      code: 'INVALID_JSON',
      message: expect.stringContaining('quantity'),
    });
  });

  it('refuses prototype-poisoning keys', async () => {
    const poisoned = await http(app)
      .post('/api/auth/login')
      .set('content-type', 'application/json')
      .send('{"email":"a@example.test","password":"password-1","__proto__":{"role":"admin"}}')
      .expect(400);
    expect(poisoned.body.code).toBe('INVALID_JSON');
  });

  it.each([
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__defineGetter__',
    'prototype',
  ])(
    'refuses a body key named like a built-in (%s) with 400, on the purchase fast lane too',
    async (key) => {
      const admin = await adminToken(app);
      const sale = await createSale(app, admin, { totalQuantity: 5 });
      const user = await registerUser(app);
      const purchase = await http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(user.token, { type: 'bearer' })
        .set('content-type', 'application/json')
        .send(`{"${key}":1,"quantity":1}`);
      expect(purchase.status).toBe(400);
      expect(purchase.body).toEqual({
        statusCode: 400,
        code: 'INVALID_JSON',
        message: expect.stringContaining(key),
      });
      const registration = await http(app)
        .post('/api/auth/register')
        .send({ ...buildRegistration(), [key]: 'x' });
      expect(registration.status).toBe(400);
      // Nothing was bought: the user's first real purchase still succeeds.
      await http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(user.token, { type: 'bearer' })
        .send({})
        .expect(201);
    },
  );

  it('caps validation details at 20 problems and says how many there were', async () => {
    const body: Record<string, unknown> = buildRegistration();
    for (let i = 0; i < 6_000; i += 1) body[`k${i}`] = 1;
    const response = await http(app).post('/api/auth/register').send(body).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(response.body.details)).toHaveLength(20);
    expect(response.body.message).toContain('6000');
    expect(JSON.stringify(response.body).length).toBeLessThan(4_000);
    const query = Array.from({ length: 1_500 }, (_, i) => `q${i}=1`).join('&');
    const listed = await http(app).get(`/api/products?${query}`).expect(400);
    expect(Object.keys(listed.body.details)).toHaveLength(20);
    expect(JSON.stringify(listed.body).length).toBeLessThan(4_000);
  });

  it('sends security headers on API answers and errors', async () => {
    for (const response of [
      await http(app).get('/api/products').expect(200),
      await http(app).get('/api/nowhere').expect(404),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('lets Swagger UI load its own scripts and styles under a CSP of its own', async () => {
    const ui = await http(app).get('/api-docs').expect(200);
    const csp = ui.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' https: 'unsafe-inline'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(ui.headers['x-content-type-options']).toBe('nosniff');
  });
});
