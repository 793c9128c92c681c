import mongoose from 'mongoose';
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
 * database name on it. Workers inherit MONGO_URI and TEST_DB_ENGINE through the environment.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGO_URI) {
    process.env.TEST_DB_ENGINE ??= await probeEngine(process.env.MONGO_URI);
  } else {
    const database = await startEmbeddedDatabase({
      log: (line) => console.log(`[test db] ${line}`),
    });
    globalThis.__TEST_DATABASE__ = database;
    process.env.MONGO_URI = database.uri;
    process.env.TEST_DB_ENGINE = database.engine;
  }
  console.log(`\n[test db] engine: ${process.env.TEST_DB_ENGINE} at ${process.env.MONGO_URI}\n`);
}
