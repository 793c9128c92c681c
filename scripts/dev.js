// `npm run start:dev`: the dev loop. The database is started once here (by `npm run db`'s ladder) and
// outlives the app's watch restarts, so data and (with the dev secret in .data) tokens survive an edit;
// the app is rebuilt with swc (milliseconds) and restarted by the Nest CLI. Type errors are left to
// the editor and `npm run typecheck`: a blocking type check would add seconds to every restart.
// The dev build goes to .data/dev-dist (nest-cli.dev.json), so it never deletes dist/ under `npm start`.
// With MONGO_URI set (environment or .env) no database is started.
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { createInterface } = require('node:readline');

const ROOT = join(__dirname, '..');
const say = (line) => process.stderr.write(`[dev] ${line}\n`);
const children = new Set();
let stopping = false;

function run(args, options) {
  const child = spawn(process.execPath, args, { cwd: ROOT, ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // If this process is killed outright (kill -9), the watchdog still stops the child.
  spawn(
    process.execPath,
    [join(__dirname, 'watchdog.js'), String(process.pid), String(child.pid)],
    {
      detached: true,
      stdio: 'ignore',
    },
  ).unref();
  return child;
}

function startDatabase() {
  const db = run(
    [require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'src/database/db-cli.ts'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // Its own process group: Ctrl-C at the terminal must not stop the database under the running
      // app (ERROR lines, a "stopped on its own" exit); stopAll stops it last, the watchdog if we die.
      detached: true,
    },
  );
  return new Promise((resolve, reject) => {
    db.once('exit', (code) => reject(new Error(`the database did not start (exit code ${code})`)));
    createInterface({ input: db.stdout }).on('line', (line) => {
      const match = /^MONGO_URI=(\S+)$/.exec(line);
      if (match) resolve({ db, uri: match[1] });
    });
  });
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  // The app first (it closes its connection), the database last.
  for (const child of [...children].reverse()) {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.kill('SIGTERM');
    await exited(child);
    clearTimeout(timer);
  }
  process.exit(code);
}

async function main() {
  if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));
  const env = { ...process.env };
  let db;
  if (!env.MONGO_URI) {
    ({ db, uri: env.MONGO_URI } = await startDatabase());
    say(`database kept across restarts: MONGO_URI=${env.MONGO_URI}`);
  }
  const nest = run(
    [
      require.resolve('@nestjs/cli/bin/nest.js'),
      'start',
      '--watch',
      // Without a shell between them, the CLI's forwarded SIGTERM reaches the app itself.
      '--no-shell',
      '--config',
      'nest-cli.dev.json',
    ],
    {
      env,
      stdio: 'inherit',
    },
  );
  db?.removeAllListeners('exit');
  db?.once('exit', (code, signal) => {
    if (stopping) return;
    say(`the database stopped on its own (${signal ?? `code ${code}`}); stopping the dev loop`);
    void stopAll(1);
  });
  nest.once('exit', (code) => void stopAll(code ?? 1));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stopAll(0));
}

main().catch((error) => {
  say(error.message);
  void stopAll(1);
});
