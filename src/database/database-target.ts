import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.validation';
import { startEmbeddedDatabase } from './embedded-database';
import { joinWatchSession } from './session-database';
import { findWatchSession } from './watch-session';

export const DATABASE_TARGET = Symbol('DATABASE_TARGET');

/** Where the service's data lives: MONGO_URI when given, else an embedded engine it started itself. */
export interface DatabaseTarget {
  uri: string;
  source: string;
  /** Known for an embedded engine; undefined for MONGO_URI, whose server is asked instead. */
  keepsData?: boolean;
  /** The database process outlives this service (a `nest start --watch` session's; MONGO_URI's is assumed to). */
  outlivesService?: boolean;
  stop(): Promise<void>;
}

export async function resolveDatabaseTarget(
  config: ConfigService<EnvironmentVariables, true>,
  onUnexpectedExit: (description: string) => void = exitWithDatabase,
): Promise<DatabaseTarget> {
  const uri = config.get('MONGO_URI', { infer: true });
  if (uri) {
    return { uri, source: 'external', stop: () => Promise.resolve() };
  }
  const logger = new Logger('Database');
  const session =
    config.get('NODE_ENV', { infer: true }) === 'development' ? findWatchSession() : undefined;
  if (session !== undefined) {
    logger.log(
      `MONGO_URI is not set, under nest start --watch (pid ${session.pid}): the embedded database ` +
        'is kept across restarts of the app and stopped when the session ends',
    );
    const kept = await joinWatchSession(session, (line) => logger.log(line));
    // Not ours to stop: the session's keeper stops it when the CLI is gone.
    return {
      uri: kept.uri,
      source: kept.engine,
      keepsData: kept.keepsData,
      outlivesService: true,
      stop: () => Promise.resolve(),
    };
  }
  logger.log('MONGO_URI is not set: starting an embedded database');
  const embedded = await startEmbeddedDatabase({
    dbPath: config.get('EMBEDDED_DB_PATH', { infer: true }),
    log: (line) => logger.warn(line),
    onUnexpectedExit,
  });
  return {
    uri: embedded.uri,
    source: embedded.engine,
    keepsData: embedded.keepsData,
    stop: () => embedded.stop(),
  };
}

/**
 * The embedded database is a child of this process: once it is gone, so is every piece of data, and
 * nothing here can bring them back. Exiting non-zero lets a supervisor (or the person at the terminal)
 * restart the pair, instead of serving 503s forever.
 */
function exitWithDatabase(description: string): void {
  new Logger('Database').error(
    `The embedded database stopped on its own (${description}): the service exits (code 1)`,
  );
  process.exit(1);
}
