import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createSale } from './factories/catalog.factory';
import { buildRegistration, registerUser } from './factories/users.factory';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

describe('platform: health, docs, errors, throttling (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
  });
  afterAll(() => app.close());

  it('GET /health answers ok with the engine and transaction mode', async () => {
    const response = await http(app).get('/health').expect(200);
    expect(response.body).toEqual({
      status: 'ok',
      database: 'up',
      engine: expect.stringMatching(
        /(jongodb|mongod) .+, (standalone|replica set|sharded \(mongos\)), transactions (on|off.*)$/,
      ),
    });
  });

  it('serves Swagger UI at /api-docs and the OpenAPI JSON as a download at /api-doc', async () => {
    const ui = await http(app).get('/api-docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await http(app).get('/api-doc').expect(200);
    expect(doc.headers['content-disposition']).toMatch(/^attachment; filename=".+\.json"$/);
    const spec = JSON.parse(doc.text);
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/auth/me',
      '/api/products',
      '/api/products/{id}',
      '/api/sales',
      '/api/sales/{id}',
      '/api/sales/{id}/activate',
      '/api/sales/{id}/purchase',
      '/api/sales/{id}/leaderboard',
      '/api/purchases/me',
      '/health',
    ]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    const purchaseDoc = JSON.stringify(spec.paths['/api/sales/{id}/purchase']);
    for (const code of [
      'SALE_NOT_FOUND',
      'SALE_NOT_STARTED',
      'SALE_ENDED',
      'SOLD_OUT',
      'INSUFFICIENT_STOCK',
      'ALREADY_PURCHASED',
      'PURCHASE_IN_PROGRESS',
      'PURCHASE_OUTCOME_UNKNOWN',
      'QUANTITY_LIMIT_EXCEEDED',
      'VALIDATION_FAILED',
      'TOO_MANY_REQUESTS',
    ]) {
      expect(purchaseDoc).toContain(code);
    }
  });

  it('answers malformed JSON with 400 INVALID_JSON and an unknown route with 404 NOT_FOUND', async () => {
    const bad = await http(app)
      .post('/api/auth/login')
      .set('content-type', 'application/json')
      .send('{"email":')
      .expect(400);
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
    const missing = await http(app).get('/api/nowhere').expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('never answers 500 for odd bodies: text, arrays, huge payloads', async () => {
    const text = await http(app)
      .post('/api/auth/login')
      .set('content-type', 'text/plain')
      .send('hello');
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    expect(text.body.code).toEqual(expect.any(String));
    const array = await http(app).post('/api/auth/login').send([1, 2]);
    expect(array.status).toBe(400);
    const huge = await http(app)
      .post('/api/auth/register')
      .send({ ...buildRegistration(), password: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 503 with database down on /health when the connection is gone', async () => {
    const isolated = await createTestApp(database);
    try {
      await isolated.get<Connection>(getConnectionToken()).close();
      const response = await http(isolated).get('/health').expect(503);
      expect(response.body).toMatchObject({ status: 'degraded', database: 'down' });
    } finally {
      await isolated.close();
    }
  });

  describe('throttling (a server with small limits)', () => {
    let small: NestFastifyApplication;

    beforeAll(async () => {
      small = await createTestApp(database, {
        THROTTLE_TTL: '60',
        THROTTLE_LIMIT: '4',
        THROTTLE_AUTH_LIMIT: '3',
        THROTTLE_PURCHASE_LIMIT: '2',
      });
    });
    afterAll(() => small.close());

    it('limits register + login together per IP, with 429 TOO_MANY_REQUESTS and Retry-After', async () => {
      await http(small).post('/api/auth/register').send(buildRegistration()).expect(201);
      await http(small)
        .post('/api/auth/login')
        .send({ email: 'no@example.test', password: 'whatever1' })
        .expect(401);
      await http(small).post('/api/auth/register').send(buildRegistration()).expect(201);
      const limited = await http(small)
        .post('/api/auth/login')
        .send({ email: 'no@example.test', password: 'whatever1' })
        .expect(429);
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_REQUESTS' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('limits purchase attempts per user, not per IP', async () => {
      const sale = await createSale(app, await adminToken(app), { totalQuantity: 100 });
      const [first, second] = [await registerUser(app), await registerUser(app)];
      const attempt = (token: string) =>
        http(small).post(`/api/sales/${sale.id}/purchase`).auth(token, { type: 'bearer' }).send({});
      expect((await attempt(first.token)).status).toBe(201);
      expect((await attempt(first.token)).body.code).toBe('ALREADY_PURCHASED');
      const limited = await attempt(first.token);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('TOO_MANY_REQUESTS');
      // Same IP, another user: a budget of its own.
      expect((await attempt(second.token)).status).toBe(201);
    });

    it('applies the general limit per route to anonymous callers by IP', async () => {
      for (let i = 0; i < 4; i += 1) await http(small).get('/api/products').expect(200);
      const limited = await http(small).get('/api/products').expect(429);
      expect(limited.headers['retry-after']).toBeDefined();
      await http(small).get('/health').expect(200); // health has a budget of its own (THROTTLE_HEALTH_LIMIT)
    });
  });
});
