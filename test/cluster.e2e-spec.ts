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
import { openSaleOver } from './support/child-app';
import { rawRequest } from './support/raw-http';
import { SseClient } from './support/sse-client';
import { databaseUri, testEnvironment, uniqueDatabaseName } from './support/test-app';
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
    "holds the per-address stream cap for the whole instance, not per worker, and frees a dead worker's places",
    async () => {
      const port = await freePort();
      const primary = startCluster({
        ...testEnvironment(uniqueDatabaseName()),
        PORT: String(port),
        REDIS_URL: testRedis.url!,
        SSE_MAX_CLIENTS_PER_ADDRESS: '3',
      });
      await primary.waitForOutput(/Listening on http:.*; 2 workers/, BOOT_MS);
      leftovers = descendants(primary.process.pid!);
      const url = `http://127.0.0.1:${port}`;
      const events = `${url}/api/sales/${await openSaleOver(url)}/events`;
      const streams: SseClient[] = [];
      try {
        // node:cluster hands these connections to both workers in turn.
        for (let i = 0; i < 6; i += 1) streams.push(await SseClient.connect(events));
        expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200, 429, 429, 429]);
        expect(streams[3].json).toMatchObject({ code: 'TOO_MANY_STREAMS' });
        // Another address has its own places.
        const other = await SseClient.connect(events, { localAddress: '127.0.0.2' });
        streams.push(other);
        expect(other.status).toBe(200);

        // A worker killed with streams open: its places come back with it gone.
        const [victim] = workersOf(primary);
        process.kill(victim, 'SIGKILL');
        const open = streams.slice(0, 3);
        await waitUntil(() => open.some((stream) => stream.isEnded), 10_000, 'a stream ended');
        const lost = open.filter((stream) => stream.isEnded).length;
        await waitUntil(
          async () =>
            (await SseClient.connect(events).then((s) => (streams.push(s), s.status))) === 200,
          10_000,
          'a freed place',
        );
        const more = [];
        for (let i = 0; i < lost; i += 1) more.push(await SseClient.connect(events));
        streams.push(...more);
        // lost places came back: lost - 1 more fit (one was just taken above), then the cap again.
        expect(more.map((stream) => stream.status)).toEqual([
          ...Array<number>(lost - 1).fill(200),
          429,
        ]);
      } finally {
        streams.forEach((stream) => stream.close());
      }
    },
    180_000,
  );

  itWhen(testRedis.available, testRedis.skipReason)(
    'answers a connection that was on its way to a worker when it was killed (another worker takes it)',
    async () => {
      const port = await freePort();
      const primary = startCluster({
        ...testEnvironment(uniqueDatabaseName()),
        PORT: String(port),
        REDIS_URL: testRedis.url!,
      });
      await primary.waitForOutput(/Listening on http:.*; 2 workers/, BOOT_MS);
      leftovers = descendants(primary.process.pid!);
      const url = `http://127.0.0.1:${port}`;
      // A frozen worker is a busy one at its worst: the primary hands it one new connection and waits
      // for it to say it took it, which it never does before it is killed.
      const [victim] = workersOf(primary);
      process.kill(victim, 'SIGSTOP');
      const health = () =>
        rawRequest(url, ['GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], 15_000);
      const answers = Array.from({ length: 4 }, health);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(victim, 'SIGKILL');
      const killedAt = Date.now();
      const settled = await Promise.all(answers);
      expect(settled.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      expect(Date.now() - killedAt).toBeLessThan(5_000);
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
