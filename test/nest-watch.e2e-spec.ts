import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanEnvironment,
  commandLine,
  descendants,
  freePort,
  isRunning,
  killTree,
  portOpen,
  scratchCheckout,
  waitUntil,
  watch,
  type Watched,
} from './support/processes';

// tsc in watch mode compiles the whole project before the first start: ~40-60 s on a busy 2-core machine.
const FIRST_START_MS = 240_000;
const TEST_MS = 360_000;
const json = { 'content-type': 'application/json' };

/**
 * The literal `nest start --watch` with the repository's nest-cli.json (tsc, dist/, the CLI's default
 * shell between it and the app), in a scratch copy of the project because it rewrites dist/ and the test
 * edits a source file. No MONGO_URI: the embedded database must outlive the app's restarts (the CLI
 * kills the app's whole process tree on each) and stop with the session.
 */
describe('nest start --watch, the literal CLI (e2e, real processes)', () => {
  let checkout: string;
  let session: Watched | undefined;
  let leftovers: number[] = [];

  beforeAll(() => {
    checkout = scratchCheckout();
  });
  afterEach(() => killTree(session, leftovers));
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  const sessionFiles = () =>
    readdirSync(join(checkout, '.data')).filter((name) => name.startsWith('dev-session-'));

  async function start(command: string, args: string[]) {
    const port = await freePort();
    session = watch(
      command,
      args,
      checkout,
      cleanEnvironment({ PORT: String(port), BCRYPT_ROUNDS: '4' }),
      { detached: true },
    );
    await session.waitForOutput(/Listening on http/, FIRST_START_MS);
    return { port, url: `http://127.0.0.1:${port}` };
  }

  /** The session's database keeper, from its state file in .data (undefined if there is none). */
  function keeperPid(): number | undefined {
    const state = sessionFiles().find((name) => name.endsWith('.json'));
    if (state === undefined) return undefined;
    const file = join(checkout, '.data', state);
    return (JSON.parse(readFileSync(file, 'utf8')) as { keeperPid: number }).keeperPid;
  }

  /** The CLI's tree (npx, shells, the CLI, the app) and the keeper's (keeper, database, watchdog). */
  function everyProcess(): number[] {
    const keeper = keeperPid();
    const kept = keeper === undefined ? [] : [keeper, ...descendants(keeper)];
    const all = [...descendants(session!.process.pid!), ...kept];
    leftovers = all;
    return all;
  }

  async function expectAllStopped(all: number[], port: number) {
    await waitUntil(() => all.every((pid) => !isRunning(pid)), 20_000, 'every process gone');
    expect(await portOpen(port)).toBe(false);
    expect(sessionFiles()).toEqual([]);
    expect(session!.output()).not.toMatch(/\bERROR\b/);
  }

  const listening = () => (session!.output().match(/Listening on http/g) ?? []).length;

  it(
    'keeps users, data and tokens across an edit; SIGTERM to the CLI stops app and database (exit 0)',
    async () => {
      const { port, url } = await start('npx', ['nest', 'start', '--watch']);
      const account = {
        username: 'watcher',
        email: 'watcher@example.test',
        password: 'password-1',
      };
      const registered = await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(account),
      });
      expect(registered.status).toBe(201);
      const { accessToken } = (await registered.json()) as { accessToken: string };

      appendFileSync(
        join(checkout, 'src', 'health', 'health.module.ts'),
        '\nexport const EDITED = true;\n',
      );
      await waitUntil(() => listening() >= 2, 120_000, 'a restart after the edit');

      // The token was signed before the restart (the dev secret), the user stored before it (the data).
      const me = await fetch(`${url}/api/auth/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ username: 'watcher' });
      const login = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email: account.email, password: account.password }),
      });
      expect(login.status).toBe(200);
      expect(session!.output()).toMatch(/reusing the session's \w+ \(kept by pid \d+\)/);

      const all = everyProcess();
      const cli = all.find(
        (pid) => /nest start --watch/.test(commandLine(pid)) && /node/.test(commandLine(pid)),
      );
      expect(cli).toBeDefined();
      process.kill(cli!, 'SIGTERM');
      const { code } = await session!.exited;
      expect(code).toBe(0);
      await expectAllStopped(all, port);
    },
    TEST_MS,
  );

  it(
    'Ctrl-C (SIGINT to the process group) stops app and database; the CLI exits 0',
    async () => {
      // The CLI itself leads the group here, so that its own exit code is the one observed (npx would
      // report its shell's death by SIGINT instead).
      const { port } = await start(join(checkout, 'node_modules', '.bin', 'nest'), [
        'start',
        '--watch',
      ]);
      const all = everyProcess();
      process.kill(-session!.process.pid!, 'SIGINT');
      const { code } = await session!.exited;
      expect(code).toBe(0);
      await expectAllStopped(all, port);
    },
    TEST_MS,
  );

  it(
    'SIGTERM to npx (which stops npx and its shell, not the CLI) still stops the CLI, app and database',
    async () => {
      const { port } = await start('npx', ['nest', 'start', '--watch']);
      const all = everyProcess();
      session!.process.kill('SIGTERM');
      await session!.exited;
      await expectAllStopped(all, port);
      expect(existsSync(join(checkout, '.data', 'dev-jwt-secret'))).toBe(true);
    },
    TEST_MS,
  );
});
