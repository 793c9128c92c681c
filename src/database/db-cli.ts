import { existsSync } from 'node:fs';
import { startEmbeddedDatabase } from './embedded-database';
import { keepForSession, launchKeeper } from './session-keeper';

/**
 * `npm run db`: the embedded database alone, by the service's ladder, for as long as this process runs.
 * stdout gets exactly one line, `MONGO_URI=<uri>`, so scripts can read it (`npm run start:dev` does);
 * everything said to people goes to stderr.
 * With `--for-session <cliPid> <cliParentPid>` (started by an app under `nest start --watch`, see watch-session.ts) it
 * starts a detached keeper that runs the database for that session, relays its line and exits; the
 * keeper itself runs with `--keep-for-session <cliPid> <cliParentPid>`.
 */
const DATABASE_NAME = 'flash-sale';

function withDatabaseName(uri: string): string {
  const url = new URL(uri);
  url.pathname = `/${DATABASE_NAME}`;
  return url.toString();
}

const say = (line: string) => process.stderr.write(`[db] ${line}\n`);
const dbPath = () => process.env.EMBEDDED_DB_PATH || '.data/mongod';

async function runInForeground(): Promise<void> {
  const database = await startEmbeddedDatabase({
    dbPath: dbPath(),
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
        ? `data kept in ${dbPath()}`
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

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [mode, pid, parentPid] = process.argv.slice(2);
  const session = { pid: Number(pid), parentPid: Number(parentPid) };
  if (mode === '--for-session') {
    await launchKeeper(__filename, session);
    process.exit(0);
  }
  if (mode === '--keep-for-session') {
    // The launcher that read our one stdout line is gone: nothing may be written there again.
    process.stdout.on('error', () => undefined);
    return keepForSession(session, { uri: withDatabaseName, dbPath: dbPath() }, say);
  }
  return runInForeground();
}

main().catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
