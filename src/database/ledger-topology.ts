import type { DatabaseInfo, Topology } from './database-info';

/**
 * How the audit reads a sale, its pending records and its confirmed units (docs/purchase-algorithm.md,
 * "Topology and read rules"):
 * - `in order`: one read after the other on the primary (read concern local). One node (a standalone, or
 *   a replica set's primary) holds the whole ledger, and each read sees every write acknowledged before
 *   it, which is all the audit's order needs; a failover in between changes acceptedSeq or leaves a
 *   record pending, and the recount waits.
 * - `snapshot`: all of them at one point in time (a snapshot session, MongoDB 5.0+). Through mongos the
 *   ledger may live on several shards, and a committed transaction's writes on two shards can be seen one
 *   without the other by local reads; a snapshot sees both or neither.
 */
export type AuditReads = 'in order' | 'snapshot';

const majorVersion = (version: string) => Number(/^(\d+)/.exec(version)?.[1] ?? 0);

export function auditReadsFor(topology: Topology): AuditReads {
  return topology === 'sharded (mongos)' ? 'snapshot' : 'in order';
}

type LedgerFacts = Pick<DatabaseInfo, 'source' | 'version' | 'topology' | 'transactionsEnabled'> & {
  findAndModifyTurns: boolean;
  /** The ledger's `w`, undefined for the server's default. */
  writeConcernW?: string | number;
  /** This process is one of CLUSTER_WORKERS' workers. */
  clusterWorker: boolean;
};

/**
 * The topologies the ledger is proved on, refused otherwise with what to change; and the one it guards
 * only partly (the stand-in shared by several processes), said plainly.
 */
export function checkLedgerTopology(facts: LedgerFacts): { refusal?: string; warnings: string[] } {
  if (facts.topology === 'sharded (mongos)' && majorVersion(facts.version) < 5) {
    return {
      refusal:
        `MongoDB ${facts.version} through mongos: the ledger's audit needs snapshot reads (MongoDB 5.0+) ` +
        'to see a transaction across shards whole. Use MongoDB 5.0 or later, or a replica set.',
      warnings: [],
    };
  }
  if (
    facts.topology === 'sharded (mongos)' &&
    !facts.transactionsEnabled &&
    facts.writeConcernW !== 'majority'
  ) {
    return {
      refusal:
        `LEDGER_WRITE_CONCERN w:${facts.writeConcernW ?? 'server default'} through mongos without transactions: ` +
        'a reservation on one shard could be rolled back while its take on another is kept, and the audit ' +
        'would sell the unit twice. Leave LEDGER_WRITE_CONCERN empty (majority) or set it to majority.',
      warnings: [],
    };
  }
  return { warnings: standInWarnings(facts) };
}

function standInWarnings(facts: LedgerFacts): string[] {
  if (!facts.findAndModifyTurns) return [];
  const shared = facts.clusterWorker
    ? 'this worker shares it with the other CLUSTER_WORKERS workers'
    : facts.source === 'external'
      ? 'MONGO_URI points at it, so other processes or instances may use it too'
      : undefined;
  if (!shared) return [];
  return [
    `The ${facts.version} stand-in may answer a findAndModify with another call's document; this process ` +
      `makes its own calls take turns, but ${shared}: two buyers may then share a place in line, and purchase ` +
      'times may run backwards along it. Run one service process against the stand-in, or use a real MongoDB.',
  ];
}
