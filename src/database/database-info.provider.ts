import type { Connection } from 'mongoose';
import type { TransactionMode } from '../config/env.validation';
import { describeEngine, inspectServer, type DatabaseInfo } from './database-info';
import type { DatabaseTarget } from './database-target';
import { describeDurability, keepsDataOnDisk } from './server-capabilities';

export const DATABASE_INFO = Symbol('DATABASE_INFO');

export async function resolveDatabaseInfo(
  connection: Connection,
  target: Pick<DatabaseTarget, 'source' | 'keepsData' | 'outlivesService'>,
  mode: TransactionMode,
): Promise<DatabaseInfo> {
  const { version, topology } = await inspectServer(connection);
  const transactionsSupported = topology !== 'standalone';
  const transactionsEnabled = decideTransactions(mode, transactionsSupported, topology);
  const { source } = target;
  const partial = { source, version, topology, transactionsSupported, transactionsEnabled };
  const keepsData = target.keepsData ?? (await keepsDataOnDisk(connection.db!, version));
  return {
    ...partial,
    engine: describeEngine(partial),
    durability: describeDurability(keepsData, !(target.outlivesService ?? source === 'external')),
  };
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
