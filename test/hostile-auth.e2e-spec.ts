import { Logger } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sign, type SignOptions } from 'jsonwebtoken';
import type { Model } from 'mongoose';
import { createSale } from './factories/catalog.factory';
import { buildRegistration, registerUser } from './factories/users.factory';
import {
  ADMIN,
  adminToken,
  createTestApp,
  withTestApp,
  http,
  testEnvironment,
  uniqueDatabaseName,
} from './support/test-app';

/** Issue 8: tokens, passwords and the admin account against a hostile client. */
describe('hostile auth: token claims, passwords, admin bootstrap (e2e)', () => {
  const database = uniqueDatabaseName();
  const SECRET = testEnvironment(database).JWT_SECRET;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
  });
  afterAll(() => app.close());

  const forge = (claims: Record<string, unknown>, options: SignOptions = {}) =>
    sign(claims, SECRET, {
      algorithm: 'HS256',
      issuer: 'flash-sale',
      audience: 'flash-sale-api',
      ...options,
    });
  /** Everything logged as a warning or error from now until the test ends. */
  const captureLogs = () => {
    const lines: string[] = [];
    for (const level of ['error', 'warn'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        lines.push(String(args[0]));
      });
    }
    return () => lines.join('\n');
  };
  afterEach(() => jest.restoreAllMocks());

  const me = (token: string) => http(app).get('/api/auth/me').auth(token, { type: 'bearer' });

  describe('token claims', () => {
    let user: Awaited<ReturnType<typeof registerUser>>;
    beforeAll(async () => {
      user = await registerUser(app);
    });
    const good = () => ({ sub: user.id, username: user.username, role: 'user' });

    it('accepts a well-formed token (the control case)', async () => {
      await me(forge(good(), { expiresIn: '5m' })).expect(200);
    });

    it.each([
      ['no exp', {}, {}],
      ['a numeric sub', { sub: 12345 }, { expiresIn: '5m' }],
      ['no sub', { sub: undefined }, { expiresIn: '5m' }],
      ['a sub that is not an ObjectId', { sub: 'not-an-object-id' }, { expiresIn: '5m' }],
      ['an unknown role', { role: 'superuser' }, { expiresIn: '5m' }],
      ['another issuer', {}, { expiresIn: '5m', issuer: 'someone-else' }],
      ['another audience', {}, { expiresIn: '5m', audience: 'another-api' }],
    ])(
      'refuses a correctly signed token with %s: 401 UNAUTHORIZED',
      async (_case, claims, options) => {
        const token = forge({ ...good(), ...claims }, options as SignOptions);
        const response = await me(token).expect(401);
        expect(response.body).toEqual({
          statusCode: 401,
          code: 'UNAUTHORIZED',
          message: expect.any(String),
        });
      },
    );

    it('refuses alg none and HS512 tokens', async () => {
      const none = sign({ ...good() }, '', { algorithm: 'none', expiresIn: '5m' });
      await me(none).expect(401);
      const hs512 = forge(good(), { algorithm: 'HS512', expiresIn: '5m' });
      await me(hs512).expect(401);
    });

    it('does not let a bad sub buy a maxPerUser 1 sale several times', async () => {
      const sale = await createSale(app, await adminToken(app), {
        totalQuantity: 5,
        maxPerUser: 1,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const token = forge({ ...good(), sub: `fake-${i}` }, { expiresIn: '5m' });
        const response = await http(app)
          .post(`/api/sales/${sale.id}/purchase`)
          .auth(token, { type: 'bearer' })
          .send({});
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401]);
    });
  });

  describe('password policy', () => {
    it.each([
      ['eight spaces', ' '.repeat(8)],
      ['eight NUL characters', '\u0000'.repeat(8)],
      ['a NUL inside', 'password\u0000tail'],
      ['73 bytes (bcrypt would ignore the rest)', 'p'.repeat(73)],
      ['36 two-byte characters plus one (73 bytes)', 'é'.repeat(36) + 'x'],
    ])('refuses %s with 400 VALIDATION_FAILED naming the rule', async (_case, password) => {
      const response = await http(app)
        .post('/api/auth/register')
        .send(buildRegistration({ password }))
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details.password.join(' ')).toMatch(/8 characters.*72 bytes/);
    });

    it('accepts 72 bytes exactly and multi-byte characters', async () => {
      await http(app)
        .post('/api/auth/register')
        .send(buildRegistration({ password: 'p'.repeat(72) }))
        .expect(201);
      await http(app)
        .post('/api/auth/register')
        .send(buildRegistration({ password: 'é'.repeat(36) }))
        .expect(201);
    });

    it('refuses a 72-byte password plus any suffix at login; the 72 bytes alone still log in', async () => {
      const registration = buildRegistration({ password: 'p'.repeat(72) });
      await http(app).post('/api/auth/register').send(registration).expect(201);
      const login = (password: string) =>
        http(app).post('/api/auth/login').send({ email: registration.email, password });
      const longer = await login(registration.password + 'anything');
      expect(longer.status).toBe(400);
      expect(longer.body.code).toBe('VALIDATION_FAILED');
      expect(longer.body.details.password.join(' ')).toMatch(/72 bytes/);
      await login(registration.password).expect(200);
    });

    it('refuses lone surrogates at register and login (all would be U+FFFD to bcrypt)', async () => {
      // JSON.stringify writes a lone surrogate as the escape "\ud800": the server decodes it back.
      const registered = await http(app)
        .post('/api/auth/register')
        .send(buildRegistration({ password: 'password\ud800' }));
      expect(registered.status).toBe(400);
      expect(registered.body.details.password.join(' ')).toMatch(/lone surrogate/);
      const registration = buildRegistration({ password: 'password-\ud83d\ude00' });
      await http(app).post('/api/auth/register').send(registration).expect(201);
      const other = await http(app)
        .post('/api/auth/login')
        .send({ email: registration.email, password: 'password-\udfff' });
      expect(other.status).toBe(400);
      expect(other.body.code).toBe('VALIDATION_FAILED');
    });

    it('never logs in with an empty password', async () => {
      const response = await http(app)
        .post('/api/auth/login')
        .send({ email: ADMIN.email, password: '' })
        .expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('documents the rule in Swagger', async () => {
      const spec = (await http(app).get('/api-doc').expect(200)).body as {
        components: {
          schemas: { RegisterDto: { properties: { password: { description: string } } } };
        };
      };
      expect(spec.components.schemas.RegisterDto.properties.password.description).toMatch(
        /72 bytes/,
      );
    });
  });

  describe('responses that carry a token', () => {
    it('are never cached', async () => {
      const registration = buildRegistration();
      const registered = await http(app).post('/api/auth/register').send(registration).expect(201);
      expect(registered.headers['cache-control']).toBe('no-store');
      const login = await http(app)
        .post('/api/auth/login')
        .send({ email: registration.email, password: registration.password })
        .expect(200);
      expect(login.headers['cache-control']).toBe('no-store');
    });
  });

  describe('roles', () => {
    it('does not let an admin buy: purchases are for buyers (403 FORBIDDEN)', async () => {
      const admin = await adminToken(app);
      const sale = await createSale(app, admin, { totalQuantity: 5 });
      const response = await http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(admin, { type: 'bearer' })
        .send({})
        .expect(403);
      expect(response.body.code).toBe('FORBIDDEN');
    });
  });

  describe('the admin account cannot be squatted', () => {
    it('refuses reserved usernames at registration, the configured admin name included', async () => {
      for (const username of [ADMIN.username, ADMIN.username.toUpperCase(), 'admin', 'root']) {
        const response = await http(app)
          .post('/api/auth/register')
          .send(buildRegistration({ username }))
          .expect(409);
        expect(response.body.code).toBe('USER_EXISTS');
      }
    });

    it('boots, and creates the admin, although a user took ADMIN_USERNAME before it was configured', async () => {
      const squatted = uniqueDatabaseName();
      await withTestApp(squatted, {}, async (first) => {
        // A database where no admin was ever made (the first app made one: remove it), and where a
        // user holds the name, as an older version let anyone register it.
        const users = first.get<Model<unknown>>(getModelToken('User'));
        await users.deleteMany({ role: 'admin' });
        await users.create({
          username: 'Root_Admin',
          usernameKey: ADMIN.username.toLowerCase(),
          email: 'squatter@example.test',
          passwordHash: 'x',
          role: 'user',
        });
      });
      const logs = captureLogs();
      await withTestApp(squatted, {}, async (second) => {
        const login = await http(second)
          .post('/api/auth/login')
          .send({ email: ADMIN.email, password: ADMIN.password })
          .expect(200);
        expect(login.body.user.role).toBe('admin');
        expect(login.body.user.username).not.toBe('Root_Admin');
        expect(logs()).toMatch(/ADMIN_USERNAME/);
      });
    });

    it('boots without promoting anyone when a user took ADMIN_EMAIL first, and says which variable to change', async () => {
      const squatted = uniqueDatabaseName();
      await withTestApp(squatted, {}, async (first) => {
        await first.get<Model<unknown>>(getModelToken('User')).deleteMany({ role: 'admin' });
        await http(first)
          .post('/api/auth/register')
          .send(buildRegistration({ email: ADMIN.email, password: 'squatter-pass-1' }))
          .expect(201);
      });
      const logs = captureLogs();
      await withTestApp(squatted, {}, async (second) => {
        const login = await http(second)
          .post('/api/auth/login')
          .send({ email: ADMIN.email, password: 'squatter-pass-1' })
          .expect(200);
        expect(login.body.user.role).toBe('user');
        expect(logs()).toMatch(/ADMIN_EMAIL .*set ADMIN_EMAIL to an address/i);
      });
    });

    it('adopts an admin made before markers existed instead of making a second one', async () => {
      const older = uniqueDatabaseName();
      await withTestApp(older, {}, async (first) => {
        // As an older version left it: the admin of ADMIN_EMAIL, without the marker.
        const users = first.get<Model<unknown>>(getModelToken('User'));
        await users.updateMany({ role: 'admin' }, { $unset: { systemKey: 1 } });
      });
      await withTestApp(older, { ADMIN_USERNAME: 'renamed_admin' }, async (second) => {
        const users = second.get<Model<unknown>>(getModelToken('User'));
        expect(await users.countDocuments({ role: 'admin' })).toBe(1);
        expect(await users.countDocuments({ systemKey: 'bootstrap-admin' })).toBe(1);
      });
    });

    it('finds the admin by its marker after ADMIN_USERNAME changes: no second admin', async () => {
      await withTestApp(database, { ADMIN_USERNAME: 'another_admin' }, async (renamed) => {
        const users = renamed.get<Model<unknown>>(getModelToken('User'));
        expect(await users.countDocuments({ role: 'admin' })).toBe(1);
      });
    });
  });
});
