import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sign } from 'jsonwebtoken';
import { createSale } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { proxiedGet, type ProxiedGet } from './support/proxied-request';
import { adminToken, createTestApp, testEnvironment, uniqueDatabaseName } from './support/test-app';

/**
 * Issue 10, behind a proxy: the measurement that found the problem (THROTTLE_LIMIT=3, four logged-in
 * users polling a public route through one proxy got 200, 200, 200, 429) and which client address the
 * per-IP budgets use for each TRUST_PROXY form. The "proxy" is 127.0.0.1; 127.0.0.2 is a client that
 * reaches the service directly.
 */
describe('TRUST_PROXY and who a request is counted as (e2e)', () => {
  const database = uniqueDatabaseName();
  const apps: NestFastifyApplication[] = [];

  async function appWith(trustProxy: string) {
    const app = await createTestApp(database, { THROTTLE_LIMIT: '3', TRUST_PROXY: trustProxy });
    apps.push(app);
    const sale = await createSale(app, await adminToken(app));
    const poll = async (options: ProxiedGet = {}) =>
      (await proxiedGet(app, `/api/sales/${sale.id}`, options)).status;
    const pollEach = async (requests: ProxiedGet[]) => {
      const statuses: number[] = [];
      for (const options of requests) statuses.push(await poll(options));
      return statuses;
    };
    return { app, poll, pollEach };
  }

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  describe('TRUST_PROXY=127.0.0.1 (the proxy by address)', () => {
    let proxy: Awaited<ReturnType<typeof appWith>>;
    beforeAll(async () => {
      proxy = await appWith('127.0.0.1');
    });

    it('answers four logged-in users polling a sale through the proxy 200, 200, 200, 200', async () => {
      // The proxy's own address has spent its anonymous budget: only user keying lets these through.
      expect(await proxy.pollEach([{}, {}, {}, {}])).toEqual([200, 200, 200, 429]);
      const users = await Promise.all([1, 2, 3, 4].map(() => registerUser(proxy.app)));
      const forwarded = [undefined, undefined, '198.51.100.7', '198.51.100.8'];
      expect(
        await proxy.pollEach(
          users.map((user, i) => ({ token: user.token, forwardedFor: forwarded[i] })),
        ),
      ).toEqual([200, 200, 200, 200]);
    });

    it('keys a token that is invalid or expired on a public route by IP, never 401', async () => {
      const user = await registerUser(proxy.app);
      const expired = sign(
        { sub: user.id, username: user.username, role: 'user' },
        testEnvironment(database).JWT_SECRET,
        { algorithm: 'HS256', issuer: 'flash-sale', audience: 'flash-sale-api', expiresIn: -60 },
      );
      const client = { forwardedFor: '198.51.100.20' };
      expect(
        await proxy.pollEach([
          { ...client, token: 'not-a-token' },
          { ...client, token: expired },
          client,
          { ...client, token: expired },
        ]),
      ).toEqual([200, 200, 200, 429]);
      // The same user's valid token is still its own budget.
      expect(await proxy.poll({ ...client, token: user.token })).toBe(200);
    });

    it('counts anonymous clients with distinct X-Forwarded-For apart, by the address the proxy saw', async () => {
      const x = { forwardedFor: '203.0.113.10' };
      expect(await proxy.pollEach([x, x, x])).toEqual([200, 200, 200]);
      // A client that prepends a made-up address is still counted as the address the proxy appended.
      expect(await proxy.poll({ forwardedFor: '192.0.2.99, 203.0.113.10' })).toBe(429);
      expect(await proxy.poll({ forwardedFor: '203.0.113.11' })).toBe(200);
    });

    it('ignores X-Forwarded-For from an address it does not trust', async () => {
      const spoofs = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'];
      expect(
        await proxy.pollEach(spoofs.map((forwardedFor) => ({ from: '127.0.0.2', forwardedFor }))),
      ).toEqual([200, 200, 200, 429]);
    });
  });

  describe('TRUST_PROXY=1 (one proxy hop)', () => {
    it('counts the address the nearest proxy appended', async () => {
      const proxy = await appWith('1');
      const client = (spoof: string) => ({ forwardedFor: `${spoof}, 203.0.113.30` });
      expect(
        await proxy.pollEach([
          client('192.0.2.1'),
          client('192.0.2.2'),
          client('192.0.2.3'),
          client('192.0.2.4'),
        ]),
      ).toEqual([200, 200, 200, 429]);
      expect(await proxy.poll({ forwardedFor: '203.0.113.31' })).toBe(200);
    });
  });

  describe('TRUST_PROXY=1 and HEALTH_DETAILS=local (issue 18 point 11)', () => {
    it('shows the database details only when the socket and every forwarded address are this machine', async () => {
      const app = await createTestApp(database, { TRUST_PROXY: '1', HEALTH_DETAILS: 'local' });
      apps.push(app);
      const seesEngine = async (options: ProxiedGet) => {
        const response = await proxiedGet(app, '/health', options);
        expect(response.status).toBe(200);
        return 'engine' in (JSON.parse(response.body) as object);
      };
      expect(await seesEngine({})).toBe(true);
      expect(await seesEngine({ forwardedFor: '127.0.0.1' })).toBe(true);
      // A client elsewhere (127.0.0.2 here) writing the header itself, straight to the port.
      expect(await seesEngine({ from: '127.0.0.2', forwardedFor: '127.0.0.1' })).toBe(false);
      expect(await seesEngine({ from: '127.0.0.2' })).toBe(false);
      // A local proxy forwarding a remote client that put a loopback address first.
      expect(await seesEngine({ forwardedFor: '127.0.0.1, 203.0.113.9' })).toBe(false);
    });
  });

  describe('TRUST_PROXY=false (the default)', () => {
    it('counts every anonymous client behind the proxy as the proxy, whatever X-Forwarded-For says', async () => {
      const direct = await appWith('false');
      const forwarded = ['203.0.113.40', '203.0.113.41', '203.0.113.42', '203.0.113.43'];
      expect(await direct.pollEach(forwarded.map((forwardedFor) => ({ forwardedFor })))).toEqual([
        200, 200, 200, 429,
      ]);
      // Logged-in users are still counted one by one.
      const user = await registerUser(direct.app);
      expect(await direct.poll({ token: user.token })).toBe(200);
    });
  });
});
