import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/database/embedded-database';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import {
  cleanEnvironment,
  descendants,
  freePort,
  isDatabaseProcess,
  ROOT,
  watch,
} from './support/processes';

async function timed(url: string, init: RequestInit = {}) {
  const started = Date.now();
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

describe('a database outage under a running service (e2e, real processes)', () => {
  let database: EmbeddedDatabase;
  let app: ChildApp;

  beforeAll(async () => {
    // A database of its own, so that stopping it disturbs no other spec.
    database = await startEmbeddedDatabase();
    const uri = new URL(database.uri);
    uri.pathname = '/outage';
    app = await startChildApp('outage', { MONGO_URI: uri.toString() });
  });
  afterAll(async () => {
    await stopChildApp(app, 'SIGKILL');
    await database.stop();
  });

  it('answers a fast 503 (even a cached-token /auth/me), reports degraded health and logs one line', async () => {
    const registered = await fetch(`${app.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'outage_u',
        email: 'o@example.test',
        password: 'password-1',
      }),
    });
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const me = () =>
      timed(`${app.url}/api/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await me()).status).toBe(200); // the token is now verified and remembered

    await database.stop();

    const answers = [await me(), await timed(`${app.url}/api/products`), await me()];
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
      expect(answer.ms).toBeLessThan(3_000);
    }
    const health = await timed(`${app.url}/health`);
    expect(health).toMatchObject({ status: 503, body: { status: 'degraded', database: 'down' } });
    expect(health.ms).toBeLessThan(3_000);

    const log = app.output.join('');
    expect(log.match(/The database is unreachable/g)).toHaveLength(1);
    expect(log).not.toMatch(/\n\s+at /); // no stack trace per request
    console.log(
      `[outage] 503 after ${answers.map((a) => a.ms).join(', ')} ms; health ${health.ms} ms`,
    );
  }, 30_000);
});

describe('the embedded database dying under the service (e2e, real processes)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'embedded-death-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes the service say so and exit non-zero, for a supervisor to restart it', async () => {
    const service = watch(
      process.execPath,
      [join(ROOT, 'dist', 'main.js')],
      ROOT,
      cleanEnvironment({
        PORT: String(await freePort()),
        JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
        EMBEDDED_DB_PATH: join(dataDir, 'mongod'),
      }),
    );
    try {
      await service.waitForOutput(/Listening on/, 60_000);
      const engine = descendants(service.process.pid!).find(isDatabaseProcess);
      expect(engine).toBeDefined();
      process.kill(engine!, 'SIGKILL');
      const { code } = await service.exited;
      expect(code).toBe(1);
      expect(service.output()).toMatch(
        /The embedded database stopped on its own \(.+\): the service exits \(code 1\)/,
      );
    } finally {
      if (service.process.exitCode === null) service.process.kill('SIGKILL');
    }
  }, 90_000);
});
