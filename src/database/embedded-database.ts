import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The embedded-database ladder used whenever no MONGO_URI is given (dev loop, `npm start`, tests):
 *   1. mongodb-memory-server: a real mongod as a single-node replica set (transactions work);
 *   2. the offline stand-in (jongodb), when no mongod binary can be downloaded or found.
 * This file is plain Node so that jest's globalSetup and the benchmark can use it as well as the app.
 */
export interface EmbeddedDatabase {
  uri: string;
  /** `mongodb-memory-server` or `jongodb`: printed at boot and by every test run. */
  engine: 'mongodb-memory-server' | 'jongodb';
  /** The stand-in has no `create` command, so mongoose must not try to create collections itself. */
  supportsCreateCommand: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Keep mongod's files here across restarts; omit for a throw-away in-memory database. */
  dbPath?: string;
  log?: (line: string) => void;
}

const PERSISTENT_PORT = 27117;

export async function startEmbeddedDatabase(
  options: EmbeddedDatabaseOptions = {},
): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  try {
    return await startMongoMemoryReplSet(options.dbPath);
  } catch (error) {
    log(`mongodb-memory-server could not start mongod (${firstLine(error)}); using jongodb`);
  }
  return startJongodb();
}

async function startMongoMemoryReplSet(dbPath?: string): Promise<EmbeddedDatabase> {
  // Loaded lazily: production images never reach this code and may not ship the package.
  const { MongoMemoryReplSet } = await import('mongodb-memory-server-core');
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const replSet = await MongoMemoryReplSet.create({
    replSet: { count: 1, storageEngine: 'wiredTiger' },
    // A kept data folder holds the replica-set config with its host:port, so it needs a stable port.
    instanceOpts: dbPath ? [{ dbPath, port: PERSISTENT_PORT }] : undefined,
  });
  return {
    uri: replSet.getUri(),
    engine: 'mongodb-memory-server',
    supportsCreateCommand: true,
    stop: async () => {
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

async function startJongodb(): Promise<EmbeddedDatabase> {
  const child = spawn(jongodbBinary(), [], { stdio: ['ignore', 'pipe', 'inherit'] });
  // An in-memory engine must not outlive the process that started it, even on process.exit().
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.once('exit', () => process.removeListener('exit', killChild));
  const uri = await readLaunchLine(child);
  return {
    uri,
    engine: 'jongodb',
    supportsCreateCommand: false,
    stop: () => stopChild(child),
  };
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

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
