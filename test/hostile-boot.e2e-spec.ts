import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import { bootBuiltService } from './support/boot-built-service';
import { databaseUri, uniqueDatabaseName } from './support/test-app';

const boot = bootBuiltService;

/** Issue 8: what the built service refuses at boot, and what production serves by default. */
describe('hostile boot: secrets, docs in production, the boot line (e2e, the built service)', () => {
  it.each([
    ['32 spaces', ' '.repeat(32)],
    ['32 x a', 'a'.repeat(32)],
    ['a short repeated pattern', 'abab'.repeat(10)],
  ])('refuses a production JWT_SECRET of %s, naming the variable', (_case, secret) => {
    const result = boot({
      NODE_ENV: 'production',
      MONGO_URI: 'mongodb://127.0.0.1:1/x',
      JWT_SECRET: secret,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET .*(weak|guess)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  describe('in production', () => {
    let child: ChildApp;
    beforeAll(async () => {
      child = await startChildApp(uniqueDatabaseName(), {
        NODE_ENV: 'production',
        BCRYPT_ROUNDS: '10',
        HOST: '127.0.0.1',
        JWT_SECRET: 'k3P9x-Qm2Zr7Tn4Wv8Ys1Bd6Fh0Jl5Nc',
      });
    });
    afterAll(() => stopChildApp(child, 'SIGTERM'));

    it('serves no Swagger UI or OpenAPI download unless SWAGGER_ENABLED is set', async () => {
      expect((await fetch(`${child.url}/api-docs`)).status).toBe(404);
      expect((await fetch(`${child.url}/api-doc`)).status).toBe(404);
    });

    it('tells a remote caller of /health only its status, not the engine', async () => {
      // The test runs on the same machine, so HEALTH_DETAILS decides; production defaults to none.
      const body = (await (await fetch(`${child.url}/health`)).json()) as Record<string, unknown>;
      expect(body).toEqual({ status: 'ok', database: 'up' });
    });

    it('prints the address it really binds (HOST)', () => {
      const port = new URL(child.url).port;
      const line = /Listening on .*/.exec(child.output.join(''))?.[0];
      expect(line).toContain(`Listening on http://127.0.0.1:${port}:`);
      expect(line).toContain('health /health');
      expect(line).not.toMatch(/localhost|api\/health/);
    });
  });

  it('refuses a HOST that is not an address, naming it', () => {
    const result = boot({
      MONGO_URI: databaseUri(uniqueDatabaseName()),
      HOST: 'not a host!',
      PORT: '0',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/HOST/);
  });
});
