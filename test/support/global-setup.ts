import mongoose from 'mongoose';
import { openNotes } from './notes';
import { provideTestRedis } from './test-redis';
import { inspectServer } from '../../src/database/database-info';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/database/embedded-database';

declare global {
  var __TEST_DATABASE__: EmbeddedDatabase | undefined;
}

/**
 * What a MONGO_URI server is, asked rather than assumed: `npm run db` may have started the stand-in,
 * whose gaps the specs and standin-workarounds.js key on TEST_DB_ENGINE=jongodb.
 */
async function probeEngine(uri: string): Promise<string> {
  const connection = await mongoose
    .createConnection(uri, { serverSelectionTimeoutMS: 5_000 })
    .asPromise();
  try {
    const info = (await connection.db!.admin().command({ buildInfo: 1 })) as { version?: string };
    return info.version?.includes('jongodb') ? 'jongodb' : 'external';
  } finally {
    await connection.close();
  }
}

/**
 * One database engine for the whole run, by the service's own ladder: MONGO_URI wins, else a real mongod
 * from mongodb-memory-server (replica set), else the offline stand-in. Each test file then uses its own
 * database name on it. Workers inherit MONGO_URI, TEST_DB_ENGINE and TEST_DB_TOPOLOGY through the
 * environment; every app a test starts also inherits MONGO_TRANSACTIONS (unset means auto), so the same
 * suite runs unchanged against a replica set with transactions on or a standalone with them off.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGO_URI) {
    process.env.TEST_DB_ENGINE ??= await probeEngine(process.env.MONGO_URI);
  } else {
    const database = await startEmbeddedDatabase({
      log: (line) => process.stdout.write(`[test db] ${line}\n`),
    });
    globalThis.__TEST_DATABASE__ = database;
    process.env.MONGO_URI = database.uri;
    process.env.TEST_DB_ENGINE = database.engine;
  }
  process.env.TEST_DB_TOPOLOGY = await probeTopology(process.env.MONGO_URI);
  const redis = await provideTestRedis();
  openNotes();
  process.stdout.write(
    `\n[test db] engine: ${process.env.TEST_DB_ENGINE} at ${process.env.MONGO_URI}, ` +
      `${process.env.TEST_DB_TOPOLOGY}, MONGO_TRANSACTIONS=${process.env.MONGO_TRANSACTIONS ?? 'auto'}` +
      `\n[test redis] ${redis}\n\n`,
  );
}

/** The service's own reading of `hello`, so engine-conditional tests skip for the reason the app sees. */
async function probeTopology(uri: string): Promise<string> {
  const connection = await mongoose
    .createConnection(uri, { serverSelectionTimeoutMS: 10_000, autoCreate: false })
    .asPromise();
  try {
    return (await inspectServer(connection)).topology;
  } finally {
    await connection.close();
  }
}
