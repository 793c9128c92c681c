import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanEnvironment,
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
import { note } from './support/notes';

const json = { 'content-type': 'application/json' };

/**
 * The real `npm run start:dev` in a scratch copy of the project (it rebuilds into .data and this test
 * edits a source file): an edit restarts the app quickly, and data and tokens survive the restart.
 */
describe('npm run start:dev keeps its state across watch restarts (e2e, real processes)', () => {
  let checkout: string;
  let dev: Watched | undefined;

  beforeAll(() => {
    checkout = scratchCheckout();
  });
  afterEach(() => killTree(dev));
  afterAll(() => {
    rmSync(checkout, { recursive: true, force: true });
  });

  const listening = () => (dev!.output().match(/Listening on http/g) ?? []).length;

  it('restarts after an edit (time printed) with the same data and secret, and stops on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    dev = watch(
      'npm',
      ['run', 'start:dev'],
      checkout,
      cleanEnvironment({ PORT: String(port), BCRYPT_ROUNDS: '4' }),
    );
    await dev.waitForOutput(/Listening on http/, 90_000);
    expect(dev.output()).toMatch(/using the development secret in \.data\/dev-jwt-secret/);
    expect(dev.output()).toMatch(
      /Database engine: .+; data (in memory: it survives restarts of the service, not of the database process|on disk: it survives restarts)/,
    );

    const registered = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        username: 'dev_loop',
        email: 'dev@example.test',
        password: 'password-1',
      }),
    });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };

    const edited = Date.now();
    appendFileSync(join(checkout, 'src', 'health', 'health.module.ts'), '\n// an edit\n');
    await waitUntil(() => listening() >= 2, 20_000, 'a restart after the edit');
    const restartMs = Date.now() - edited;
    note(`[dev loop] edit -> listening again: ${restartMs} ms`);
    // The 3 s target is a figure to read (printed above; 1.4-1.7 s on an idle machine), not an assertion:
    // a timed test fails whenever the shared machine is busy. This bound only tells a restart from a hang.
    expect(restartMs).toBeLessThan(30_000);

    // The token was signed before the restart and the user was stored before it.
    const me = await fetch(`${url}/api/auth/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: 'dev_loop' });
    expect(dev.output()).not.toMatch(/\n\s+at /);

    const tree = descendants(dev.process.pid!);
    dev.process.kill('SIGTERM');
    const { code } = await dev.exited;
    await waitUntil(() => tree.every((pid) => !isRunning(pid)), 10_000, 'every process gone');
    expect(await portOpen(port)).toBe(false);
    expect(code).toBe(0);
    expect(dev.output()).not.toMatch(/\bERROR\b/);
  }, 150_000);

  it('Ctrl-C (SIGINT to the whole process group) exits 0 with no ERROR line and leaves nothing', async () => {
    const port = await freePort();
    dev = watch(
      'npm',
      ['run', 'start:dev'],
      checkout,
      cleanEnvironment({ PORT: String(port), BCRYPT_ROUNDS: '4' }),
      { detached: true },
    );
    await dev.waitForOutput(/Listening on http/, 90_000);
    const tree = descendants(dev.process.pid!);
    process.kill(-dev.process.pid!, 'SIGINT');
    const { code, signal } = await dev.exited;
    await waitUntil(() => tree.every((pid) => !isRunning(pid)), 10_000, 'every process gone');
    expect(await portOpen(port)).toBe(false);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(dev.output()).not.toMatch(/\bERROR\b|stopped on its own/);
  }, 150_000);
});
