import type { Connection } from 'mongoose';
import type { TransactionMode } from '../config/env.validation';
import { describeEngine, inspectServer, type DatabaseInfo } from './database-info';
import type { DatabaseTarget } from './database-target';
import { describeLedgerRules, ledgerRulesFor } from './ledger-collections';
import { auditReadsFor } from './ledger-topology';
import { describeDurability, keepsDataOnDisk } from './server-capabilities';

export const DATABASE_INFO = Symbol('DATABASE_INFO');

export interface DatabaseSettings {
  mode: TransactionMode;
  /** LEDGER_WRITE_CONCERN as given (empty: by topology). */
  ledgerWriteConcern: string;
}

export async function resolveDatabaseInfo(
  connection: Connection,
  target: Pick<DatabaseTarget, 'source' | 'keepsData' | 'outlivesService'>,
  settings: DatabaseSettings,
): Promise<DatabaseInfo> {
  const server = await inspectServer(connection);
  const { version, topology } = server;
  const transactionsSupported = topology !== 'standalone';
  const transactionsEnabled = decideTransactions(settings.mode, transactionsSupported, topology);
  const { source } = target;
  const partial = { source, version, topology, transactionsSupported, transactionsEnabled };
  const keepsData = target.keepsData ?? (await keepsDataOnDisk(connection.db!, version));
  const rules = ledgerRulesFor(settings.ledgerWriteConcern, server);
  const auditReads = auditReadsFor(topology);
  return {
    ...partial,
    engine: describeEngine(partial),
    durability: describeDurability(keepsData, !(target.outlivesService ?? source === 'external')),
    findAndModifyTurns: rules.findAndModifyTurns,
    auditReads,
    ledger: `${describeLedgerRules(rules)}, audit reads ${auditReads === 'snapshot' ? 'at one snapshot' : 'in order'}`,
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
