import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.validation';
import { startEmbeddedDatabase } from './embedded-database';

export const DATABASE_TARGET = Symbol('DATABASE_TARGET');

/** Where the service's data lives: MONGO_URI when given, else an embedded engine it started itself. */
export interface DatabaseTarget {
  uri: string;
  source: string;
  /** undefined: mongoose's global default (true unless a test setup turned it off). */
  autoCreate?: boolean;
  stop(): Promise<void>;
}

export async function resolveDatabaseTarget(
  config: ConfigService<EnvironmentVariables, true>,
): Promise<DatabaseTarget> {
  const uri = config.get('MONGO_URI', { infer: true });
  if (uri) {
    return { uri, source: 'external', stop: () => Promise.resolve() };
  }
  const logger = new Logger('Database');
  logger.log('MONGO_URI is not set: starting an embedded database');
  const embedded = await startEmbeddedDatabase({
    dbPath: config.get('EMBEDDED_DB_PATH', { infer: true }),
    log: (line) => logger.warn(line),
  });
  return {
    uri: embedded.uri,
    source: embedded.engine,
    autoCreate: embedded.supportsCreateCommand,
    stop: () => embedded.stop(),
  };
}
