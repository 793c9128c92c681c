import type { Connection } from 'mongoose';
import type { TransactionMode } from '../config/env.validation';
import { describeEngine, inspectServer, type DatabaseInfo } from './database-info';

export const DATABASE_INFO = Symbol('DATABASE_INFO');

export async function resolveDatabaseInfo(
  connection: Connection,
  source: string,
  mode: TransactionMode,
): Promise<DatabaseInfo> {
  const { version, topology } = await inspectServer(connection);
  const transactionsSupported = topology !== 'standalone';
  const transactionsEnabled = decideTransactions(mode, transactionsSupported, topology);
  const partial = { source, version, topology, transactionsSupported, transactionsEnabled };
  return { ...partial, engine: describeEngine(partial) };
}

export function decideTransactions(
  mode: TransactionMode,
  supported: boolean,
  topology: string,
): boolean {
  if (mode === 'off') return false;
  if (mode === 'on' && !supported) {
    throw new Error(
      `MONGO_TRANSACTIONS=on but the MongoDB server is ${topology}: transactions need a replica set or mongos. ` +
        'Use MONGO_TRANSACTIONS=auto or off, or point MONGO_URI at a replica set.',
    );
  }
  return supported;
}
