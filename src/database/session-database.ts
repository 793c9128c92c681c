import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeArgsFor } from './session-keeper';
import {
  afterExitOf,
  readPid,
  readSessionDatabase,
  sessionFiles,
  whenGone,
  type SessionDatabase,
  type WatchSession,
} from './watch-session';

/** How long a new app waits for the previous one of its session to close and free the port. */
const PREVIOUS_APP_GRACE_MS = 10_000;

function dbCli(): string {
  const built = join(__dirname, 'db-cli.js');
  return existsSync(built) ? built : join(__dirname, 'db-cli.ts');
}

async function launchSessionDatabase(session: WatchSession): Promise<void> {
  const launcher = spawn(
    process.execPath,
    [...nodeArgsFor(dbCli()), '--for-session', String(session.pid), String(session.parentPid)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const code = await new Promise<number | null>((resolve) => launcher.once('close', resolve));
  if (code !== 0) throw new Error(`the session's database did not start (exit code ${code})`);
}

/**
 * An app of a `nest start --watch` session: uses the session's database (starting its keeper on the
 * session's first boot), after the session's previous app has let go of the port, and stops itself
 * (SIGTERM, the normal graceful stop) when the session's CLI is gone: with the CLI's default shell
 * between them, the CLI's own SIGTERM stops the shell, not this process.
 */
export async function joinWatchSession(
  session: WatchSession,
  log: (line: string) => void,
): Promise<SessionDatabase> {
  const sessionPid = session.pid;
  const files = sessionFiles(sessionPid);
  const previousApp = readPid(files.app);
  if (previousApp !== undefined && previousApp !== process.pid) {
    await whenGone(previousApp, PREVIOUS_APP_GRACE_MS);
  }
  mkdirSync(dirname(files.app), { recursive: true });
  writeFileSync(files.app, String(process.pid));
  afterExitOf(sessionPid, () => {
    log(`the nest start --watch session (pid ${sessionPid}) has ended: stopping`);
    process.kill(process.pid, 'SIGTERM');
  });
  let database = readSessionDatabase(files.state);
  if (database) {
    log(`reusing the session's ${database.engine} (kept by pid ${database.keeperPid})`);
    return database;
  }
  await launchSessionDatabase(session);
  database = readSessionDatabase(files.state);
  if (!database) throw new Error(`the session's database left no state in ${files.state}`);
  return database;
}
