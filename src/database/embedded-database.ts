import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { MongoInstanceEvents } from 'mongodb-memory-server-core/lib/util/MongoInstance';
import { watchOverChild } from './database-watchdog';
import {
  describeDownloadFailure,
  DOWNLOAD_FAILURE_FILE,
  oneLine,
  recentDownloadFailure,
  rememberDownloadFailure,
} from './mongod-download-memory';

/**
 * The embedded-database ladder used whenever no MONGO_URI is given (dev loop, `npm start`, tests):
 *   1. mongodb-memory-server: a real mongod as a single-node replica set (transactions work);
 *   2. the offline stand-in (jongodb), when no mongod binary can be downloaded or found (a failed
 *      download is remembered for a while, so later boots skip straight to it).
 * This file is plain Node so that jest's globalSetup and the benchmark can use it as well as the app.
 */
export interface EmbeddedDatabase {
  uri: string;
  /** `mongodb-memory-server` or `jongodb`: printed at boot and by every test run. */
  engine: 'mongodb-memory-server' | 'jongodb';
  /** Whether the data outlives the database process (a kept mongod data folder) or not (in memory). */
  keepsData: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Keep mongod's files here across restarts; omit for a throw-away in-memory database. */
  dbPath?: string;
  log?: (line: string) => void;
  /** Where a failed mongod download is remembered (see mongod-download-memory.ts). */
  downloadFailureFile?: string;
  /** Called when the database process ends without stop() being called: the data is gone with it. */
  onUnexpectedExit?: (description: string) => void;
}

const PERSISTENT_PORT = 27117;
// The enum's value, without loading the optional package at import time.
const INSTANCE_CLOSED = 'instanceClosed' as MongoInstanceEvents.instanceClosed;

export async function startEmbeddedDatabase(
  options: EmbeddedDatabaseOptions = {},
): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const failureFile = options.downloadFailureFile ?? DOWNLOAD_FAILURE_FILE;
  // A configured system binary means there is nothing to download: never skip it.
  const remembered = process.env.MONGOMS_SYSTEM_BINARY
    ? undefined
    : recentDownloadFailure(failureFile);
  if (remembered) {
    log(describeDownloadFailure(remembered, failureFile));
  } else {
    try {
      return await quietly(() => startMongoMemoryReplSet(options));
    } catch (error) {
      if (!isDownloadFailure(error)) {
        log(`mongodb-memory-server could not start mongod (${oneLine(error)}); using jongodb`);
      } else {
        const failure = rememberDownloadFailure(oneLine(error), failureFile);
        log(describeDownloadFailure(failure, failureFile));
      }
    }
  }
  return startJongodb(options.onUnexpectedExit);
}

/**
 * mongodb-memory-server prints every download retry and a stack trace per failed start straight to the
 * console (~40 lines offline); the ladder reports the outcome in one line instead.
 */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, error: console.error };
  console.log = console.warn = console.error = () => undefined;
  try {
    return await work();
  } finally {
    Object.assign(console, saved);
  }
}

function isDownloadFailure(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'DownloadError' || /download/i.test(oneLine(error));
}

async function startMongoMemoryReplSet(
  options: EmbeddedDatabaseOptions,
): Promise<EmbeddedDatabase> {
  // Loaded lazily: production images never reach this code and may not ship the package.
  const { MongoMemoryReplSet } = await import('mongodb-memory-server-core');
  const { dbPath } = options;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  // mongodb-memory-server starts its own watchdog beside mongod (mongo_killer.js), so a killed
  // service does not leave mongod running.
  const replSet = await MongoMemoryReplSet.create({
    // detached: Ctrl-C must reach the service, which stops mongod after closing its connection.
    replSet: { count: 1, storageEngine: 'wiredTiger', spawn: { detached: true } },
    // A kept data folder holds the replica-set config with its host:port, so it needs a stable port.
    instanceOpts: dbPath ? [{ dbPath, port: PERSISTENT_PORT }] : undefined,
  });
  let stopping = false;
  const instance = replSet.servers[0]?.instanceInfo?.instance;
  instance?.once(INSTANCE_CLOSED, (code: number | null) => {
    if (!stopping) options.onUnexpectedExit?.(`mongod exited with code ${code}`);
  });
  return {
    uri: replSet.getUri(),
    engine: 'mongodb-memory-server',
    keepsData: Boolean(dbPath),
    stop: async () => {
      stopping = true;
      await replSet.stop({ doCleanup: !dbPath, force: false });
    },
  };
}

function jongodbBinary(): string {
  try {
    return require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb');
  } catch {
    throw new Error(
      'No embedded MongoDB available: mongod could not be downloaded and the optional package ' +
        '@jongodb/memory-server-bin-linux-x64-gnu is not installed. Set MONGO_URI.',
    );
  }
}

async function startJongodb(
  onUnexpectedExit?: EmbeddedDatabaseOptions['onUnexpectedExit'],
): Promise<EmbeddedDatabase> {
  // Its own process group: Ctrl-C at a terminal signals the whole foreground group at once, and the
  // database must not die beside the service (exit 130 read as a crash); the service stops it after
  // closing its connection, and the watchdog if the service is killed outright.
  const child = spawn(jongodbBinary(), [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  forwardErrors(child);
  // An in-memory engine must not outlive the process that started it: on process.exit() this handler
  // stops it, after a kill -9 (no handler runs) the watchdog does.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.removeListener('exit', killChild));
  const uri = await readLaunchLine(child);
  if (child.pid) watchOverChild(child.pid);
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) onUnexpectedExit?.(`jongodb exited (${signal ?? `code ${code}`})`);
  });
  return {
    uri,
    engine: 'jongodb',
    keepsData: false,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

/** The stand-in reports every client that disconnects (each app restart) on stderr: not worth a line. */
function forwardErrors(child: ChildProcess): void {
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!/tcp client io failure/.test(line)) process.stderr.write(`${line}\n`);
  });
}

function readLaunchLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => fail(new Error('jongodb did not print its URI within 15 s')),
      15_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`jongodb exited early with code ${code}`)));
    lines.on('line', (line) => {
      const match = /^JONGODB_URI=(\S+)/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeListener('error', fail);
      // Keep draining stdout so the child never blocks on a full pipe.
      resolve(match[1]);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
