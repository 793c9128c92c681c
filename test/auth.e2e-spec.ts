import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerUser, buildRegistration } from './factories/users.factory';
import { ADMIN, createTestApp, http, uniqueDatabaseName } from './support/test-app';

describe('auth (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(database);
  });
  afterAll(() => app.close());

  it('registers a user with role user, a token, and no password hash', async () => {
    const registration = buildRegistration();
    const response = await http(app).post('/api/auth/register').send(registration).expect(201);
    expect(response.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      username: registration.username,
      email: registration.email,
      role: 'user',
    });
    expect(response.body.accessToken).toEqual(expect.any(String));
    expect(JSON.stringify(response.body)).not.toMatch(/password/i);
  });

  it('ignores a role sent at registration: the extra field is rejected', async () => {
    const response = await http(app)
      .post('/api/auth/register')
      .send({ ...buildRegistration(), role: 'admin' })
      .expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.details).toHaveProperty('role');
  });

  it.each([
    ['a short username', { username: 'ab' }],
    ['a username with spaces', { username: 'bad name' }],
    ['a 33-char username', { username: 'a'.repeat(33) }],
    ['an invalid email', { email: 'not-an-email' }],
    ['a 7-char password', { password: 'short12' }],
    ['a 129-char password', { password: 'p'.repeat(129) }],
    ['an operator object as email', { email: { $gt: '' } }],
  ])('rejects %s with 400 VALIDATION_FAILED', async (_case, override) => {
    const response = await http(app)
      .post('/api/auth/register')
      .send({ ...buildRegistration(), ...override })
      .expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
  });

  it('answers 409 USER_EXISTS for a duplicate username or a duplicate email in other case', async () => {
    const first = await registerUser(app);
    const sameName = await http(app)
      .post('/api/auth/register')
      .send(buildRegistration({ username: first.username.toUpperCase() }))
      .expect(409);
    expect(sameName.body.code).toBe('USER_EXISTS');
    const sameEmail = await http(app)
      .post('/api/auth/register')
      .send(buildRegistration({ email: first.email.toUpperCase() }))
      .expect(409);
    expect(sameEmail.body.code).toBe('USER_EXISTS');
  });

  it('logs in with the email in any case and answers the same user', async () => {
    const user = await registerUser(app);
    const response = await http(app)
      .post('/api/auth/login')
      .send({ email: user.email.toUpperCase(), password: 'password-123' })
      .expect(200);
    expect(response.body.user).toMatchObject({
      id: user.id,
      username: user.username,
      role: 'user',
    });
    expect(response.body.accessToken).toEqual(expect.any(String));
  });

  it('answers 401 INVALID_CREDENTIALS alike for a wrong password and an unknown email', async () => {
    const user = await registerUser(app);
    const wrongPassword = await http(app)
      .post('/api/auth/login')
      .send({ email: user.email, password: 'wrong-password' })
      .expect(401);
    const unknownEmail = await http(app)
      .post('/api/auth/login')
      .send({ email: 'nobody@example.test', password: 'wrong-password' })
      .expect(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('rejects an operator object in login as a validation error', async () => {
    const response = await http(app)
      .post('/api/auth/login')
      .send({ email: { $gt: '' }, password: { $gt: '' } })
      .expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('GET /auth/me answers the caller', async () => {
    const user = await registerUser(app);
    const response = await http(app)
      .get('/api/auth/me')
      .auth(user.token, { type: 'bearer' })
      .expect(200);
    expect(response.body).toEqual({
      id: user.id,
      username: user.username,
      email: user.email,
      role: 'user',
    });
  });

  it.each([
    ['no token', undefined],
    ['a malformed token', 'not-a-jwt'],
    [
      'a token signed with another secret',
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwidXNlcm5hbWUiOiJ4Iiwicm9sZSI6ImFkbWluIn0.2JpZLdQ1ZqLNaYmYqC9RdmDiSXuJKWZXVHrrDnXM3vI',
    ],
  ])('GET /auth/me with %s answers 401 UNAUTHORIZED', async (_case, token) => {
    const call = http(app).get('/api/auth/me');
    const response = await (token ? call.auth(token, { type: 'bearer' }) : call).expect(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
  });

  it('rejects an expired token with 401, also one it verified before', async () => {
    const short = await createTestApp(database, { JWT_EXPIRES_IN: '1s' });
    try {
      const user = await registerUser(short);
      // Used once while valid (so the verified token is remembered), then again after it expired.
      await http(short).get('/api/auth/me').auth(user.token, { type: 'bearer' }).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const response = await http(short)
        .get('/api/auth/me')
        .auth(user.token, { type: 'bearer' })
        .expect(401);
      expect(response.body).toMatchObject({
        code: 'UNAUTHORIZED',
        message: 'Access token expired',
      });
    } finally {
      await short.close();
    }
  });

  describe('the admin bootstrap', () => {
    it('creates the configured admin, who can log in with role admin', async () => {
      const response = await http(app)
        .post('/api/auth/login')
        .send({ email: ADMIN.email, password: ADMIN.password })
        .expect(200);
      expect(response.body.user).toMatchObject({ username: ADMIN.username, role: 'admin' });
    });

    it('does not duplicate the admin when the service restarts', async () => {
      const restarted = await createTestApp(database);
      await restarted.close();
      const again = await createTestApp(database);
      try {
        const { UsersService } = await import('../src/users/users.service');
        const users = again.get(UsersService);
        const admin = await users.findByEmail(ADMIN.email);
        expect(admin?.role).toBe('admin');
        const { getModelToken } = await import('@nestjs/mongoose');
        const model = again.get(getModelToken('User'));
        expect(await model.countDocuments({ email: ADMIN.email })).toBe(1);
        expect(await model.countDocuments({ role: 'admin' })).toBe(1);
      } finally {
        await again.close();
      }
    });
  });
});
