import { testRedisPrefix } from './support/throttle-storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRegistration } from './factories/users.factory';
import { itWhen, testRedis } from './support/conditional-tests';
import {
  cleanEnvironment,
  commandLine,
  descendants,
  freePort,
  isDatabaseProcess,
  isRunning,
  killTree,
  portOpen,
  ROOT,
  waitUntil,
  watch,
  type Watched,
} from './support/processes';
import { databaseUri, uniqueDatabaseName } from './support/test-app';
import { note } from './support/notes';

/**
 * CLUSTER_WORKERS: the built service (`node dist/main.js`) as N workers on one port under a primary,
 * with real processes killed and signalled.
 */
const MAIN = join(ROOT, 'dist', 'main.js');
const BOOT_MS = 60_000;

describe('CLUSTER_WORKERS: several workers on one port (e2e, real processes)', () => {
  let started: Watched | undefined;
  let leftovers: number[] = [];
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'flash-sale-cluster-'));
  });
  afterEach(() => killTree(started, leftovers));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function startCluster(env: Record<string, string>): Watched {
    const base = cleanEnvironment({
      NODE_ENV: 'test',
      BCRYPT_ROUNDS: '4',
      CLUSTER_WORKERS: '2',
      REDIS_PREFIX: testRedisPrefix(),
      ...env,
    });
    if (!('REDIS_URL' in env)) delete base.REDIS_URL;
    started = watch(process.execPath, [MAIN], ROOT, base);
    return started;
  }

  const workersOf = (primary: Watched) =>
    descendants(primary.process.pid!).filter((pid) => /dist\/main\.js/.test(commandLine(pid)));

  async function getStatus(url: string, token?: string): Promise<number> {
    const response = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('refuses more than one worker without REDIS_URL, naming it', async () => {
    const primary = startCluster({ PORT: String(await freePort()) });
    const { code } = await primary.exited;
    expect(code).not.toBe(0);
    expect(primary.output()).toMatch(/CLUSTER_WORKERS=2 .*requires REDIS_URL/);
  });

  itWhen(testRedis.available, testRedis.skipReason)(
    'serves on one port with 2 workers and its own database, replaces a killed worker, and stops on SIGTERM',
    async () => {
      // No MONGO_URI: the primary starts the embedded database and hands it to both workers.
      const port = await freePort();
      const primary = startCluster({
        PORT: String(port),
        REDIS_URL: testRedis.url!,
        EMBEDDED_DB_PATH: join(dataDir, 'mongod'),
      });
      await primary.waitForOutput(/Listening on http:.*; 2 workers/, BOOT_MS);
      expect(primary.output()).toMatch(
        /Listening on http:\/\/\S+:\d+ .*: API \/api, .*; 2 workers/,
      );
      leftovers = descendants(primary.process.pid!);
      const first = workersOf(primary);
      expect(first).toHaveLength(2);
      const database = leftovers.find(isDatabaseProcess);
      expect(database).toBeDefined();

      // One token works on every worker (round-robin spreads these over both): one shared secret.
      const url = `http://127.0.0.1:${port}`;
      const registered = await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(buildRegistration()),
      });
      expect(registered.status).toBe(201);
      const { accessToken } = (await registered.json()) as { accessToken: string };
      const answers = [];
      for (let i = 0; i < 8; i += 1)
        answers.push(await getStatus(`${url}/api/auth/me`, accessToken));
      expect(answers).toEqual(Array(8).fill(200));

      // A worker killed outright is replaced, and the port keeps answering meanwhile and after.
      process.kill(first[0], 'SIGKILL');
      await waitUntil(
        () => {
          const now = workersOf(primary);
          return now.length === 2 && !now.includes(first[0]);
        },
        BOOT_MS,
        'a replacement worker',
      );
      await primary.waitForOutput(/is listening \(a replacement\)/, BOOT_MS);
      expect(primary.output()).toMatch(
        new RegExp(`Worker pid ${first[0]} died \\(signal SIGKILL\\)`),
      );
      const after = [];
      for (let i = 0; i < 8; i += 1) after.push(await getStatus(`${url}/api/auth/me`, accessToken));
      expect(after).toEqual(Array(8).fill(200));

      // SIGTERM to the primary: every worker, then the database, gone within a few seconds.
      const tree = descendants(primary.process.pid!);
      leftovers = tree;
      const sent = Date.now();
      primary.process.kill('SIGTERM');
      const { code } = await primary.exited;
      expect(code).toBe(0);
      await waitUntil(() => tree.every((pid) => !isRunning(pid)), 5_000, 'every process gone');
      expect(await portOpen(port)).toBe(false);
      note(`[cluster] SIGTERM to the primary: everything gone after ${Date.now() - sent} ms`);
    },
    180_000,
  );

  itWhen(testRedis.available, testRedis.skipReason)(
    'gives up with a clear message when workers die right after starting (a crash loop)',
    async () => {
      // The port is taken: every worker boots, fails to listen and exits.
      const port = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve));
      try {
        const primary = startCluster({
          PORT: String(port),
          REDIS_URL: testRedis.url!,
          MONGO_URI: databaseUri(uniqueDatabaseName()),
        });
        const { code } = await primary.exited;
        expect(code).toBe(1);
        expect(primary.output()).toMatch(
          /died within 10 s of starting \(a crash loop\): giving up/,
        );
      } finally {
        blocker.close();
      }
    },
    120_000,
  );
});
