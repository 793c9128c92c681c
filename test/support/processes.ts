import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** Linux process facts read from /proc: what is still running, and who started whom. */
function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Running, not a zombie waiting to be reaped. */
export const isRunning = (pid: number) => {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z';
};

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** Every process started, directly or not, by `pid`, as far as they are still attached to it. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    const s = Number.isInteger(child) ? stat(child) : undefined;
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** A process whose whole output is kept, with a way to wait for a line. */
export interface Watched {
  process: ChildProcess;
  /** stdout and stderr interleaved as they came. */
  output: () => string;
  stdout: () => string;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment minus what would point the child at the test run's database or secrets. */
export function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['MONGO_URI', 'JWT_SECRET', 'NODE_ENV', 'PORT', 'TEST_DB_ENGINE'])
    delete env[key];
  // npm passes its own settings down; a nested npm must not inherit the outer run's.
  for (const key of Object.keys(env)) if (/^npm_/i.test(key)) delete env[key];
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/**
 * `detached`: the process leads a process group of its own, as a command started at a terminal does,
 * so that a test can send a signal to the whole group as Ctrl-C does (`process.kill(-pid, 'SIGINT')`).
 */
export function watch(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  { detached = false }: { detached?: boolean } = {},
): Watched {
  const child = spawn(command, args, { cwd, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    output: () => output,
    stdout: () => stdout,
    exited,
    waitForOutput: (pattern, timeoutMs) =>
      waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`exited early:\n${output}`);
          return pattern.test(output);
        },
        timeoutMs,
        `${pattern} in:\n${output}`,
      ),
  };
}

/**
 * A throw-away copy of the project (sources, scripts, configs; node_modules linked) so a test can run
 * the real `npm start` / `npm run start:dev`, which rebuild and wipe their output folder and may edit
 * sources, without touching the dist/ that other specs run meanwhile. The remembered mongod download
 * failure is copied too, so an offline machine does not pay the download attempt again.
 */
export function scratchCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flash-sale-checkout-'));
  for (const entry of ['src', 'scripts', '.data/cache']) {
    try {
      cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
    } catch {
      // .data/cache exists only after a first boot.
    }
  }
  for (const file of readdirSync(ROOT)) {
    if (/^(package(-lock)?\.json|tsconfig.*\.json|nest-cli.*\.json)$/.test(file)) {
      cpSync(join(ROOT, file), join(dir, file));
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/**
 * What a fresh clone of this repository holds: every file git tracks or would add (nothing it ignores:
 * no .env, dist/, .data/), as in the working tree; node_modules linked to save the install. Also the
 * remembered mongod download failure (.data/cache), as scratchCheckout does, so an offline machine does
 * not pay the download attempt again.
 */
export function repositoryCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flash-sale-clone-'));
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter(Boolean);
  // A file deleted in the working tree but still in git's index is left out, as its commit will.
  for (const file of files.filter((each) => existsSync(join(ROOT, each)))) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  try {
    cpSync(join(ROOT, '.data', 'cache'), join(dir, '.data', 'cache'), { recursive: true });
  } catch {
    // .data/cache exists only after a first boot.
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Database processes the service started: jongodb or mongod. */
export const isDatabaseProcess = (pid: number) =>
  /\bjongodb\b|\bmongod\b/.test(commandLine(pid)) && !/watchdog|node /.test(commandLine(pid));

/**
 * After a test, stops whatever it started and left running: the watched process and every descendant
 * (SIGKILL to the top alone would orphan them, e.g. the service npm exec'd and its database).
 */
export function killTree(watched: Watched | undefined, extra: number[] = []): void {
  const pid = watched?.process.pid;
  const tree = pid === undefined ? [] : descendants(pid);
  for (const each of [...extra, ...tree].filter(isRunning)) {
    try {
      process.kill(each, 'SIGKILL');
    } catch {
      // it exited between the check and the kill
    }
  }
  if (watched && watched.process.exitCode === null) watched.process.kill('SIGKILL');
}
