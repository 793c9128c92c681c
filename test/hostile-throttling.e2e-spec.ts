import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSale } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

/** Issue 8 (and issue 9's per-sale purchase budget): every route has a budget, failures too. */
describe('hostile throttling: failed authentications, every route, per-sale purchases (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let small: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
    small = await createTestApp(database, {
      THROTTLE_TTL: '60',
      THROTTLE_LIMIT: '4',
      THROTTLE_PURCHASE_LIMIT: '2',
      THROTTLE_AUTH_FAILURE_LIMIT: '5',
      THROTTLE_HEALTH_LIMIT: '3',
    });
  });
  afterAll(async () => {
    await small.close();
    await app.close();
  });

  const expect429 = (response: {
    status: number;
    body: { code?: string };
    headers: Record<string, string>;
  }) => {
    expect(response.status).toBe(429);
    expect(response.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  };

  it('counts failed authentications per IP across routes, then answers 429; a valid token still works', async () => {
    const user = await registerUser(app);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const path = i % 2 ? '/api/auth/me' : '/api/purchases/me';
      statuses.push(
        (await http(small).get(path).auth(`bad-token-${i}`, { type: 'bearer' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect429(await http(small).get('/api/auth/me'));
    await http(small).get('/api/auth/me').auth(user.token, { type: 'bearer' }).expect(200);
  });

  it('gives /health a budget of its own', async () => {
    for (let i = 0; i < 3; i += 1) await http(small).get('/health').expect(200);
    expect429(await http(small).get('/health'));
  });

  it('gives unknown routes a budget', async () => {
    for (let i = 0; i < 4; i += 1) await http(small).get(`/api/nowhere-${i}`).expect(404);
    expect429(await http(small).get('/api/nowhere-else'));
  });

  it('gives the OpenAPI download and Swagger UI a budget', async () => {
    for (let i = 0; i < 4; i += 1) await http(small).get('/api-doc').expect(200);
    expect429(await http(small).get('/api-doc'));
  });

  it('counts purchase attempts per user per sale: a second sale has its own budget', async () => {
    const admin = await adminToken(app);
    const [first, second] = [
      await createSale(app, admin, { totalQuantity: 10 }),
      await createSale(app, admin, { totalQuantity: 10 }),
    ];
    const user = await registerUser(app);
    const attempt = (saleId: string) =>
      http(small)
        .post(`/api/sales/${saleId}/purchase`)
        .auth(user.token, { type: 'bearer' })
        .send({});
    expect((await attempt(first.id)).status).toBe(201);
    expect((await attempt(first.id)).status).toBe(409);
    expect429(await attempt(first.id));
    expect((await attempt(second.id)).status).toBe(201);
  });
});
