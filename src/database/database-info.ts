import type { Connection } from 'mongoose';
import type { AuditReads } from './ledger-topology';

export type Topology = 'replica set' | 'sharded (mongos)' | 'standalone';

/** What the connected server is, read once at boot and reported by /health. */
export interface DatabaseInfo {
  /** e.g. `mongodb-memory-server`, `jongodb`, or `external` when MONGO_URI was given. */
  source: string;
  version: string;
  topology: Topology;
  transactionsSupported: boolean;
  transactionsEnabled: boolean;
  /** One line for logs and /health: `jongodb 8.0.0-jongodb, standalone, transactions off`. */
  engine: string;
  /** Whether data survives a restart, for the boot log: `data in memory: lost when the service stops`. */
  durability: string;
  /** The engine may answer a findAndModify with another call's document, so calls take turns (ledger-collections.ts). */
  findAndModifyTurns: boolean;
  /** How the reconciler's audit reads (ledger-topology.ts). */
  auditReads: AuditReads;
  /** e.g. `ledger writes w:majority, reads on the primary, audit reads at one snapshot`. */
  ledger: string;
}

interface HelloReply {
  setName?: string;
  msg?: string;
}

export async function inspectServer(
  connection: Connection,
): Promise<{ version: string; topology: Topology }> {
  const admin = connection.db!.admin();
  const hello = (await admin.command({ hello: 1 })) as HelloReply;
  const buildInfo = (await admin.command({ buildInfo: 1 })) as { version?: string };
  const topology: Topology = hello.setName
    ? 'replica set'
    : hello.msg === 'isdbgrid'
      ? 'sharded (mongos)'
      : 'standalone';
  return { version: buildInfo.version ?? 'unknown', topology };
}

/** e.g. `jongodb 8.0.0-jongodb (embedded), standalone, transactions off`. */
export function describeEngine(
  info: Pick<
    DatabaseInfo,
    'source' | 'version' | 'topology' | 'transactionsSupported' | 'transactionsEnabled'
  >,
): string {
  const server = info.version.includes('jongodb') ? 'jongodb' : 'mongod';
  const origin = info.source === 'external' ? 'MONGO_URI' : `embedded via ${info.source}`;
  const transactions = info.transactionsEnabled
    ? 'on'
    : info.transactionsSupported
      ? 'off (available, MONGO_TRANSACTIONS=off)'
      : 'off (not available)';
  return `${server} ${info.version} (${origin}), ${info.topology}, transactions ${transactions}`;
}
