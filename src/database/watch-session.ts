import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The literal `nest start --watch` restarts the app on every edit by killing the app's whole process
 * tree, an embedded database included. So in such a session the database is not the app's child: a
 * keeper process outside the tree runs it for as long as the Nest CLI process (the session) lives, and
 * each app finds it through a state file in .data named after the session's pid.
 */
export interface SessionFiles {
  /** Written by the keeper once the database answers: {@link SessionDatabase}. */
  state: string;
  /** The pid of the session's current app, so the next one can wait for it to let go of the port. */
  app: string;
}

export interface SessionDatabase {
  uri: string;
  engine: string;
  keepsData: boolean;
  keeperPid: number;
}

export const sessionFiles = (sessionPid: number, dir = '.data'): SessionFiles => ({
  state: join(dir, `dev-session-${sessionPid}.json`),
  app: join(dir, `dev-session-${sessionPid}.app`),
});

const WATCHING_NEST_CLI = /(^|[\s/])nest(\.js)?\s+start\b.*\s(--watch|-w)\b/;
const POLL_MS = 250;

function parentAndCommand(pid: number): { ppid: number; args: string } | undefined {
  try {
    const line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(line);
    return match ? { ppid: Number(match[1]), args: match[2] } : undefined;
  } catch {
    return undefined;
  }
}

export interface WatchSession {
  /** The Nest CLI's pid. */
  pid: number;
  /** Its parent's (npx, npm, a shell) when the session began. */
  parentPid: number;
}

/**
 * The `nest start --watch` that runs this process: its parent, or its grandparent when the CLI put a
 * shell in between (its default). Undefined when started any other way.
 */
export function findWatchSession(): WatchSession | undefined {
  let pid = process.ppid;
  for (let depth = 0; depth < 3 && pid > 1; depth += 1) {
    const found = parentAndCommand(pid);
    if (!found) return undefined;
    if (WATCHING_NEST_CLI.test(found.args)) return { pid, parentPid: found.ppid };
    pid = found.ppid;
  }
  return undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once `pid` has exited (polling: it is not our child), or after `timeoutMs`. */
export function whenGone(pid: number, timeoutMs = Infinity): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = () => {
      if (!isAlive(pid) || Date.now() >= deadline) resolve();
      else setTimeout(check, POLL_MS);
    };
    check();
  });
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function readSessionDatabase(file: string): SessionDatabase | undefined {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as SessionDatabase;
    return isAlive(state.keeperPid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `then` once `pid` has exited; the polling never keeps this process alive by itself. */
export function afterExitOf(pid: number, then: () => void): void {
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    then();
  }, POLL_MS);
  timer.unref();
}

/**
 * Resolves when the session's CLI has exited. A CLI whose parent is gone is stopped (SIGTERM, which it
 * passes to its app) first: SIGTERM to `npx nest start --watch` stops npx and the shell npx runs the CLI
 * in, and the CLI, which never sees that signal, would go on watching and restarting on its own.
 */
export async function sessionEnd(session: WatchSession, onOrphaned: () => void): Promise<void> {
  let orphaned = false;
  while (isAlive(session.pid)) {
    if (!orphaned && session.parentPid > 1 && !isAlive(session.parentPid)) {
      orphaned = true;
      onOrphaned();
      process.kill(session.pid, 'SIGTERM');
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
