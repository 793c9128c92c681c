import { existsSync } from 'node:fs';
import { startEmbeddedDatabase } from './embedded-database';

/**
 * `npm run db`: the embedded database alone, by the service's ladder, for as long as this process runs.
 * stdout gets exactly one line, `MONGO_URI=<uri>`, so scripts can read it (`npm run start:dev` does);
 * everything said to people goes to stderr.
 */
const DATABASE_NAME = 'flash-sale';

function withDatabaseName(uri: string): string {
  const url = new URL(uri);
  url.pathname = `/${DATABASE_NAME}`;
  return url.toString();
}

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const say = (line: string) => process.stderr.write(`[db] ${line}\n`);
  const database = await startEmbeddedDatabase({
    dbPath: process.env.EMBEDDED_DB_PATH || '.data/mongod',
    log: say,
    onUnexpectedExit: (description) => {
      say(`the database stopped on its own (${description}); exiting`);
      process.exit(1);
    },
  });
  process.stdout.write(`MONGO_URI=${withDatabaseName(database.uri)}\n`);
  say(
    `${database.engine} is running: ` +
      (database.keepsData
        ? `data kept in ${process.env.EMBEDDED_DB_PATH || '.data/mongod'}`
        : 'in memory, data is lost when this process stops') +
      '. Stop it with Ctrl-C.',
  );
  const stop = () => {
    database.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[db] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
