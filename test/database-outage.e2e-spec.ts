import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp, stopChildApp, type ChildApp } from './support/child-app';
import {
  cleanEnvironment,
  descendants,
  freePort,
  isDatabaseProcess,
  ROOT,
  waitUntil,
  watch,
  type Watched,
} from './support/processes';
import { note } from './support/notes';

/** The stand-in on a fixed port, so that it can come back where the service expects it. */
async function startStandIn(port: number): Promise<Watched> {
  const binary = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb');
  const standIn = watch(binary, [`--port=${port}`, '--host=127.0.0.1'], ROOT, process.env);
  await standIn.waitForOutput(/JONGODB_URI=/, 15_000);
  return standIn;
}

async function stop(standIn: Watched) {
  standIn.process.kill('SIGKILL');
  await standIn.exited;
}

async function timed(url: string, init: RequestInit = {}) {
  const started = Date.now();
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

describe('a database outage under a running service (e2e, real processes)', () => {
  let port: number;
  let database: Watched;
  let app: ChildApp;

  beforeAll(async () => {
    // A database of its own, so that stopping it disturbs no other spec.
    port = await freePort();
    database = await startStandIn(port);
    app = await startChildApp('outage', { MONGO_URI: `mongodb://127.0.0.1:${port}/outage` });
  });
  afterAll(async () => {
    await stopChildApp(app, 'SIGKILL');
    await stop(database);
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

    await stop(database);

    const answers = [await me(), await timed(`${app.url}/api/products`), await me()];
    for (const answer of answers) {
      if (answer.status !== 503) console.log(`[outage] service log:\n${app.output.join('')}`);
      expect(answer).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
      // About 2 s (serverSelectionTimeoutMS) when idle; the bound only has to tell it from the old 10 s.
      expect(answer.ms).toBeLessThan(6_000);
    }
    const health = await timed(`${app.url}/health`);
    expect(health).toMatchObject({ status: 503, body: { status: 'degraded', database: 'down' } });
    expect(health.ms).toBeLessThan(6_000);

    const log = app.output.join('');
    expect(log.match(/The database is unreachable/g)).toHaveLength(1);
    expect(log).not.toMatch(/\n\s+at /); // no stack trace per request
    note(`[outage] 503 after ${answers.map((a) => a.ms).join(', ')} ms; health ${health.ms} ms`);
  }, 30_000);

  // Continues the scenario above: the database is down when this starts.
  it('notices the database coming back, and logs the next outage once more', async () => {
    database = await startStandIn(port);
    const back = await waitUntil(
      async () => (await fetch(`${app.url}/health`)).status === 200,
      15_000,
      '/health 200 again',
    );
    await waitUntil(
      () => /The database is reachable again/.test(app.output.join('')),
      15_000,
      'the line',
    );
    expect((await timed(`${app.url}/api/products`)).status).toBe(200);

    await stop(database);
    expect((await timed(`${app.url}/api/products`)).status).toBe(503);
    expect((await timed(`${app.url}/api/products`)).status).toBe(503);
    await waitUntil(
      () => (app.output.join('').match(/The database is unreachable/g) ?? []).length === 2,
      5_000,
      'a second outage line',
    );
    note(`[outage] healthy again ${back} ms after the database came back`);
  }, 60_000);
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
