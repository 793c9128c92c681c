import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createProduct, createSale, secondsFromNow } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { adminToken, createTestApp, http, uniqueDatabaseName } from './support/test-app';

describe('products and sales (e2e)', () => {
  let app: NestFastifyApplication;
  let admin: string;
  let userToken: string;

  beforeAll(async () => {
    app = await createTestApp(uniqueDatabaseName());
    admin = await adminToken(app);
    userToken = (await registerUser(app)).token;
  });
  afterAll(() => app.close());

  describe('products', () => {
    it('lets an admin create a product and answers the price as the same JSON number', async () => {
      const response = await http(app)
        .post('/api/products')
        .auth(admin, { type: 'bearer' })
        .send({ name: 'Phone', price: 19.99 })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        name: 'Phone',
        price: 19.99,
        createdAt: expect.any(String),
      });
      const fetched = await http(app).get(`/api/products/${response.body.id}`).expect(200);
      expect(fetched.body).toEqual(response.body);
    });

    it.each([
      ['three decimals', { name: 'x', price: 1.999 }],
      ['a price written with an exponent (1e-7)', { name: 'x', price: 1e-7 }],
      ['the smallest number (5e-324)', { name: 'x', price: 5e-324 }],
      ['a negative price', { name: 'x', price: -1 }],
      ['a string price', { name: 'x', price: '10' }],
      ['no name', { price: 10 }],
      ['an unknown field', { name: 'x', price: 1, stock: 5 }],
    ])('rejects %s with 400 VALIDATION_FAILED', async (_case, body) => {
      const response = await http(app)
        .post('/api/products')
        .auth(admin, { type: 'bearer' })
        .send(body)
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('says "at most 2 decimals" when a price has more', async () => {
      const response = await http(app)
        .post('/api/products')
        .auth(admin, { type: 'bearer' })
        .send({ name: 'x', price: 1.999 })
        .expect(400);
      expect(response.body.details).toEqual({
        price: ['price must be a number with at most 2 decimals'],
      });
    });

    it.each([
      ['the string "129.99"', '129.99', 'price must be a number'],
      ['a negative price', -1, 'price must not be less than 0'],
      ['a price above the cap', 2_000_000_000, 'price must not be greater than 1000000000'],
    ])('answers %s with one message about the price', async (_case, price, message) => {
      const response = await http(app)
        .post('/api/products')
        .auth(admin, { type: 'bearer' })
        .send({ name: 'x', price })
        .expect(400);
      expect(response.body.details).toEqual({ price: [message] });
    });

    it('answers a product without description without the key (not ""), as listed too', async () => {
      const created = await createProduct(app, admin, { name: 'Plain', description: undefined });
      expect(created).not.toHaveProperty('description');
      const listed = await http(app).get('/api/products?limit=100').expect(200);
      const plain = (listed.body.items as Array<{ id: string }>).find((p) => p.id === created.id);
      expect(plain).toEqual({
        id: created.id,
        name: 'Plain',
        price: 129.99,
        createdAt: expect.any(String),
      });
    });

    it('forbids a regular user (403) and an anonymous caller (401) from creating products', async () => {
      const forbidden = await http(app)
        .post('/api/products')
        .auth(userToken, { type: 'bearer' })
        .send({ name: 'x', price: 1 })
        .expect(403);
      expect(forbidden.body.code).toBe('FORBIDDEN');
      const anonymous = await http(app)
        .post('/api/products')
        .send({ name: 'x', price: 1 })
        .expect(401);
      expect(anonymous.body.code).toBe('UNAUTHORIZED');
    });

    it('pages the product list', async () => {
      for (let i = 0; i < 3; i += 1) await createProduct(app, admin, { name: `Paged ${i}` });
      const response = await http(app).get('/api/products?page=2&limit=2').expect(200);
      expect(response.body).toMatchObject({ page: 2, limit: 2 });
      expect(response.body.total).toBeGreaterThanOrEqual(3);
      expect(response.body.items).toHaveLength(2);
      const bad = await http(app).get('/api/products?limit=101').expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });

    it('answers 404 PRODUCT_NOT_FOUND for an unknown id and 400 INVALID_ID for a malformed one', async () => {
      const missing = await http(app).get('/api/products/0123456789abcdef01234567').expect(404);
      expect(missing.body.code).toBe('PRODUCT_NOT_FOUND');
      const malformed = await http(app).get('/api/products/not-an-id').expect(400);
      expect(malformed.body.code).toBe('INVALID_ID');
    });
  });

  describe('sales', () => {
    it('creates a scheduled sale with the full shape and the product inlined', async () => {
      const product = await createProduct(app, admin, { name: 'Console', price: 499.5 });
      const startTime = secondsFromNow(3600);
      const response = await http(app)
        .post('/api/sales')
        .auth(admin, { type: 'bearer' })
        .send({ productId: product.id, startTime, totalQuantity: 100 })
        .expect(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        name: 'Console',
        productId: product.id,
        product: { id: product.id, name: 'Console', price: 499.5 },
        startTime,
        endTime: null,
        totalQuantity: 100,
        remainingQuantity: 100,
        soldQuantity: 0,
        maxPerUser: 1,
        status: 'scheduled',
        activatedAt: null,
        createdAt: expect.any(String),
      });
      // Created just now: a frontend can sort or label by it.
      expect(Math.abs(Date.parse(response.body.createdAt) - Date.now())).toBeLessThan(60_000);
    });

    it.each([
      ['endTime before startTime', { startTime: secondsFromNow(60), endTime: secondsFromNow(30) }],
      [
        'endTime equal to startTime',
        { startTime: '2030-01-01T00:00:00Z', endTime: '2030-01-01T00:00:00Z' },
      ],
      ['a time without zone', { startTime: '2030-01-01T10:00:00' }],
      ['a non-date time', { startTime: 'tomorrow' }],
      ['a numeric time', { startTime: 1893456000000 }],
      ['zero quantity', { totalQuantity: 0 }],
      ['a fractional quantity', { totalQuantity: 1.5 }],
      ['maxPerUser 0', { maxPerUser: 0 }],
      ['maxPerUser above totalQuantity', { totalQuantity: 5, maxPerUser: 6 }],
      ['a malformed productId', { productId: 'abc' }],
    ])('rejects %s with 400 VALIDATION_FAILED', async (_case, override) => {
      const product = await createProduct(app, admin);
      const response = await http(app)
        .post('/api/sales')
        .auth(admin, { type: 'bearer' })
        .send({
          productId: product.id,
          startTime: secondsFromNow(60),
          totalQuantity: 5,
          ...override,
        })
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('answers 404 PRODUCT_NOT_FOUND for a sale of an unknown product', async () => {
      const response = await http(app)
        .post('/api/sales')
        .auth(admin, { type: 'bearer' })
        .send({
          productId: '0123456789abcdef01234567',
          startTime: secondsFromNow(60),
          totalQuantity: 5,
        })
        .expect(404);
      expect(response.body.code).toBe('PRODUCT_NOT_FOUND');
    });

    it('forbids regular users from creating or activating sales', async () => {
      const sale = await createSale(app, admin, { startTime: secondsFromNow(600) });
      const create = await http(app)
        .post('/api/sales')
        .auth(userToken, { type: 'bearer' })
        .send({ productId: sale.productId, startTime: secondsFromNow(60), totalQuantity: 1 })
        .expect(403);
      expect(create.body.code).toBe('FORBIDDEN');
      const activate = await http(app)
        .post(`/api/sales/${sale.id}/activate`)
        .auth(userToken, { type: 'bearer' })
        .expect(403);
      expect(activate.body.code).toBe('FORBIDDEN');
    });

    it('answers 404 SALE_NOT_FOUND and 400 INVALID_ID on GET /sales/:id', async () => {
      expect(
        (await http(app).get('/api/sales/0123456789abcdef01234567').expect(404)).body.code,
      ).toBe('SALE_NOT_FOUND');
      expect((await http(app).get('/api/sales/xyz').expect(400)).body.code).toBe('INVALID_ID');
    });

    it('activates a future sale now: startTime moves to now, activation is idempotent', async () => {
      const sale = await createSale(app, admin, { startTime: secondsFromNow(3600) });
      const before = Date.now();
      const first = await http(app)
        .post(`/api/sales/${sale.id}/activate`)
        .auth(admin, { type: 'bearer' })
        .expect(200);
      expect(first.body.status).toBe('active');
      expect(new Date(first.body.startTime).getTime()).toBeGreaterThanOrEqual(before - 5);
      expect(new Date(first.body.startTime).getTime()).toBeLessThanOrEqual(Date.now());
      expect(first.body.activatedAt).toEqual(first.body.startTime);
      const second = await http(app)
        .post(`/api/sales/${sale.id}/activate`)
        .auth(admin, { type: 'bearer' })
        .expect(200);
      expect(second.body).toMatchObject({ status: 'active', activatedAt: first.body.activatedAt });
    });

    it('answers 409 SALE_CLOSED when activating an ended sale', async () => {
      const sale = await createSale(app, admin, {
        startTime: secondsFromNow(-10),
        endTime: secondsFromNow(-5),
      });
      const response = await http(app)
        .post(`/api/sales/${sale.id}/activate`)
        .auth(admin, { type: 'bearer' })
        .expect(409);
      expect(response.body.code).toBe('SALE_CLOSED');
    });

    it('lists sales filtered by their status as of now', async () => {
      const future = await createSale(app, admin, { startTime: secondsFromNow(3600) });
      const ended = await createSale(app, admin, {
        startTime: secondsFromNow(-10),
        endTime: secondsFromNow(-1),
      });
      const scheduled = await http(app).get('/api/sales?status=scheduled&limit=100').expect(200);
      const endedList = await http(app).get('/api/sales?status=ended&limit=100').expect(200);
      const ids = (body: { items: Array<{ id: string; status: string }> }) =>
        body.items.map((s) => s.id);
      expect(ids(scheduled.body)).toContain(future.id);
      expect(ids(scheduled.body)).not.toContain(ended.id);
      expect(ids(endedList.body)).toContain(ended.id);
      expect(scheduled.body.items.every((s: { status: string }) => s.status === 'scheduled')).toBe(
        true,
      );
      expect((await http(app).get('/api/sales?status=bogus').expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
    });
  });
});
