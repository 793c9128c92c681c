import { Inject, Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { ClientSession, Connection } from 'mongoose';
import type { DatabaseInfo } from './database-info';
import { DATABASE_INFO } from './database-info.provider';

/**
 * The reconciler's audit reads a sale, counts its pending records and sums its confirmed units; the
 * recount is right only if those reads agree with each other. Where one node holds the whole ledger (a
 * standalone, a replica set's primary) they run in order and need nothing more; through mongos they
 * share one snapshot session, so they see the ledger at one point in time, a transaction across shards
 * whole or not at all (ledger-topology.ts; docs/purchase-algorithm.md, "Topology and read rules").
 */
@Injectable()
export class AuditReads {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(DATABASE_INFO) private readonly info: Pick<DatabaseInfo, 'auditReads'>,
  ) {}

  async run<T>(work: (session: ClientSession | undefined) => Promise<T>): Promise<T> {
    if (this.info.auditReads !== 'snapshot') return work(undefined);
    const session = await this.connection.startSession({ snapshot: true });
    try {
      return await work(session);
    } finally {
      await session.endSession();
    }
  }
}
