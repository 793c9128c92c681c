import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { startEmbeddedDatabase } from './embedded-database';
import {
  readPid,
  sessionEnd,
  sessionFiles,
  whenGone,
  type SessionDatabase,
  type WatchSession,
} from './watch-session';

/** How long the keeper waits, once the session has ended, for its last app to close its connection. */
const LAST_APP_GRACE_MS = 10_000;

type Say = (line: string) => void;

/** How to run this same entry point (db-cli) again: built JS under node, else TypeScript via ts-node. */
export function nodeArgsFor(script: string): string[] {
  return script.endsWith('.ts')
    ? [require.resolve('ts-node/dist/bin.js'), '--transpile-only', script]
    : [script];
}

/** Resolves with the `MONGO_URI=` line's URI a process prints on stdout; rejects if it exits first. */
export function readUriLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`the database did not start (exit code ${code})`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^MONGO_URI=(\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
  });
}

/**
 * The launcher, a child of the app: starts the keeper detached (its own session and process group, so
 * neither Ctrl-C nor the CLI's tree kill reaches it), relays its URI line and exits, which leaves the
 * keeper outside the app's process tree.
 */
export async function launchKeeper(script: string, session: WatchSession): Promise<void> {
  const keeper = spawn(
    process.execPath,
    [...nodeArgsFor(script), '--keep-for-session', String(session.pid), String(session.parentPid)],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const uri = await readUriLine(keeper);
  process.stdout.write(`MONGO_URI=${uri}\n`);
  keeper.removeAllListeners('exit');
  keeper.stdout.destroy();
  keeper.unref();
}

/**
 * The keeper: runs the embedded database for the session; when the session's Nest CLI has exited and
 * its last app has closed (or after a grace period), stops it and removes the session's files.
 */
export async function keepForSession(
  session: WatchSession,
  database: { uri: (raw: string) => string; dbPath: string },
  say: Say,
): Promise<void> {
  const files = sessionFiles(session.pid);
  const removeFiles = () => {
    rmSync(files.state, { force: true });
    rmSync(files.app, { force: true });
  };
  const embedded = await startEmbeddedDatabase({
    dbPath: database.dbPath,
    log: say,
    onUnexpectedExit: (description) => {
      say(`the database stopped on its own (${description}); exiting`);
      removeFiles();
      process.exit(1);
    },
  });
  const state: SessionDatabase = {
    uri: database.uri(embedded.uri),
    engine: embedded.engine,
    keepsData: embedded.keepsData,
    keeperPid: process.pid,
  };
  mkdirSync(dirname(files.state), { recursive: true });
  writeFileSync(files.state, JSON.stringify(state));
  process.stdout.write(`MONGO_URI=${state.uri}\n`);
  say(
    `${embedded.engine} kept for the nest start --watch session (pid ${session.pid}) across its ` +
      'restarts; stopped when the session ends',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await embedded.stop();
    removeFiles();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  await sessionEnd(session, () =>
    say(`the nest CLI (pid ${session.pid}) lost its parent (npx or npm stopped): stopping it`),
  );
  const lastApp = readPid(files.app);
  if (lastApp !== undefined) await whenGone(lastApp, LAST_APP_GRACE_MS);
  await stop();
}
