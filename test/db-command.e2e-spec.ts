import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanEnvironment,
  descendants,
  freePort,
  isDatabaseProcess,
  isRunning,
  portOpen,
  ROOT,
  waitUntil,
  watch,
  type Watched,
} from './support/processes';

const SECRET = 'test-secret-that-is-at-least-32-characters-long';

/**
 * `npm run db` prints one MONGO_URI line and keeps the database up; services pointed at it with
 * MONGO_URI work without any test-only workaround, because they probe what the server can do.
 */
describe('npm run db, then services on its MONGO_URI (e2e, real processes)', () => {
  let dataDir: string;
  let db: Watched;
  const services: Watched[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'npm-run-db-'));
  });
  afterAll(() => {
    for (const running of [...services, db]) {
      if (running?.process.exitCode === null) running.process.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startService(uri: string) {
    const port = await freePort();
    // TEST_DB_ENGINE is left out: the service finds out what it is connected to on its own.
    const service = watch(
      process.execPath,
      [join(ROOT, 'dist', 'main.js')],
      ROOT,
      cleanEnvironment({
        MONGO_URI: uri,
        PORT: String(port),
        JWT_SECRET: SECRET,
        BCRYPT_ROUNDS: '4',
      }),
    );
    services.push(service);
    await service.waitForOutput(/Listening on/, 60_000);
    return { service, url: `http://127.0.0.1:${port}` };
  }

  // npm forwards the signal to the script it runs, waits for it, then ends by the same signal.
  it('serves two instances on one embedded database, and stops on SIGTERM', async () => {
    db = watch(
      'npm',
      ['run', '--silent', 'db'],
      ROOT,
      cleanEnvironment({ EMBEDDED_DB_PATH: dataDir }),
    );
    await db.waitForOutput(/^MONGO_URI=\S+$/m, 60_000);
    expect(db.stdout()).toMatch(/^MONGO_URI=mongodb:\/\/\S+\/flash-sale\S*\n$/); // one line, nothing else
    const uri = db.stdout().trim().slice('MONGO_URI='.length);

    const first = await startService(uri);
    const second = await startService(uri);
    expect(first.service.output()).toMatch(
      /Database engine: .+ \(MONGO_URI\).+; data (in memory: it survives restarts of the service, not of the database process|on disk: it survives restarts)/,
    );
    const registration = {
      username: 'db_cli_user',
      email: 'db@example.test',
      password: 'password-1',
    };
    const created = await fetch(`${first.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registration),
    });
    expect(created.status).toBe(201);
    const login = await fetch(`${second.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: registration.email, password: registration.password }),
    });
    expect(login.status).toBe(200); // the same data behind both instances

    for (const { service } of [first, second]) {
      service.process.kill('SIGTERM');
      await service.exited;
    }
    const engine = descendants(db.process.pid!).find(isDatabaseProcess);
    expect(engine).toBeDefined();
    db.process.kill('SIGTERM');
    await db.exited;
    await waitUntil(() => !isRunning(engine!), 5_000, 'the database process gone');
    expect(await portOpen(Number(new URL(uri).port))).toBe(false);
  }, 120_000);
});
