import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanEnvironment,
  commandLine,
  descendants,
  freePort,
  isDatabaseProcess,
  isRunning,
  killTree,
  portOpen,
  scratchCheckout,
  waitUntil,
  watch,
  type Watched,
} from './support/processes';
import { note } from './support/notes';

/**
 * The real `npm start` (build, then the service with its embedded database) in a scratch copy of the
 * project, stopped the ways people and supervisors stop it: signals are sent to real processes, and
 * afterwards no process of the tree and no port may be left.
 */
// Each test builds the project once (~10-20 s on a busy 2-core machine) before it can send a signal.
const BUILD_AND_BOOT_MS = 150_000;

describe('npm start as one well-behaved process (e2e, real processes)', () => {
  let checkout: string;
  let started: Watched | undefined;
  let leftovers: number[] = [];

  beforeAll(() => {
    checkout = scratchCheckout();
  });
  afterEach(() => killTree(started, leftovers));
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  async function npmStart({ detached = false } = {}) {
    const port = await freePort();
    started = watch(
      'npm',
      ['start'],
      checkout,
      cleanEnvironment({
        PORT: String(port),
        JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
        EMBEDDED_DB_PATH: join(checkout, '.data', 'mongod'),
      }),
      { detached },
    );
    await started.waitForOutput(/Listening on http:\/\/\S+:\d+/, BUILD_AND_BOOT_MS - 20_000);
    // The boot log announces the health route where it is, /health (Nest's own `{/api/health}` is gone).
    expect(started.output()).toMatch(/Listening on .+: API \/api, health \/health,/);
    expect(started.output()).not.toMatch(/\/api\/health/);
    const tree = descendants(started.process.pid!);
    leftovers = tree;
    const database = tree.find(isDatabaseProcess);
    // With `exec`, the service is npm's own child: no shell and no Nest CLI between them.
    const service = tree.find((pid) => /node dist\/main\.js/.test(commandLine(pid)));
    expect(database).toBeDefined();
    expect(service).toBeDefined();
    expect(tree.some((pid) => /nest(\.js)? start/.test(commandLine(pid)))).toBe(false);
    return { npm: started, port, tree, database: database!, service: service! };
  }

  async function expectNothingLeft(tree: number[], port: number) {
    await waitUntil(() => tree.every((pid) => !isRunning(pid)), 5_000, 'every process gone');
    expect(await portOpen(port)).toBe(false);
  }

  it(
    'SIGTERM to npm stops the service and its database within a few seconds',
    async () => {
      const { npm, port, tree } = await npmStart();
      const sent = Date.now();
      npm.process.kill('SIGTERM');
      await npm.exited;
      await expectNothingLeft(tree, port);
      const elapsed = Date.now() - sent;
      note(`[npm start] SIGTERM to npm: everything gone after ${elapsed} ms`);
      expect(elapsed).toBeLessThan(5_000);
    },
    BUILD_AND_BOOT_MS,
  );

  it(
    'SIGINT to the service process npm created stops it and its database',
    async () => {
      const { npm, port, tree, service } = await npmStart();
      process.kill(service, 'SIGINT');
      await npm.exited;
      await expectNothingLeft(tree, port);
    },
    BUILD_AND_BOOT_MS,
  );

  it(
    'kill -9 of the service still takes its database down (the watchdog)',
    async () => {
      const { npm, port, tree, service, database } = await npmStart();
      process.kill(service, 'SIGKILL');
      const elapsed = await waitUntil(() => !isRunning(database), 5_000, 'database gone');
      note(`[npm start] kill -9 of the service: database gone after ${elapsed} ms`);
      const { code } = await npm.exited;
      expect(code).not.toBe(0);
      await expectNothingLeft(tree, port);
    },
    BUILD_AND_BOOT_MS,
  );

  it(
    'Ctrl-C (SIGINT to the whole process group) exits 0 with no ERROR line and leaves nothing',
    async () => {
      // npm, the service and (before the fix) the embedded database all in the terminal's group.
      const { npm, port, tree } = await npmStart({ detached: true });
      process.kill(-npm.process.pid!, 'SIGINT');
      const { code, signal } = await npm.exited;
      await expectNothingLeft(tree, port);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(npm.output()).not.toMatch(/\bERROR\b/);
      expect(npm.output()).not.toMatch(/stopped on its own/);
    },
    BUILD_AND_BOOT_MS,
  );

  it(
    'SIGTERM to npm exits 0 with no ERROR line',
    async () => {
      const { npm, port, tree } = await npmStart();
      npm.process.kill('SIGTERM');
      const { code } = await npm.exited;
      await expectNothingLeft(tree, port);
      expect(code).toBe(0);
      expect(npm.output()).not.toMatch(/\bERROR\b/);
    },
    BUILD_AND_BOOT_MS,
  );

  const buildIfChanged = () =>
    spawnSync(process.execPath, ['scripts/build-if-changed.js'], {
      cwd: checkout,
      encoding: 'utf8',
    });

  it(
    'starts without building when dist/ was built from the same sources',
    async () => {
      expect(buildIfChanged().status).toBe(0);
      const { npm, port, tree } = await npmStart();
      expect(npm.output()).toMatch(/dist\/ is up to date with src\/ .*: not rebuilding/);
      expect(npm.output()).not.toMatch(/building dist\/ \(nest build\)/);
      npm.process.kill('SIGTERM');
      await npm.exited;
      await expectNothingLeft(tree, port);
    },
    BUILD_AND_BOOT_MS,
  );

  it(
    'rebuilds when a source changed even if its mtime is older than dist/ (git checkout of an old file)',
    () => {
      expect(buildIfChanged().status).toBe(0);
      const source = join(checkout, 'src', 'health', 'health.module.ts');
      const original = readFileSync(source, 'utf8');
      appendFileSync(source, "\nexport const CHECKED_OUT = 'an older version';\n");
      const longAgo = new Date('2001-01-01T00:00:00Z');
      utimesSync(source, longAgo, longAgo);
      try {
        const build = buildIfChanged();
        expect(build.status).toBe(0);
        expect(build.stderr).toMatch(/building dist\/ \(nest build\)/);
        const built = readFileSync(join(checkout, 'dist', 'health', 'health.module.js'), 'utf8');
        expect(built).toContain('an older version');
      } finally {
        writeFileSync(source, original);
      }
    },
    BUILD_AND_BOOT_MS,
  );
});
