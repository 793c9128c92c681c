import type { mongo } from 'mongoose';
import type { Topology } from './database-info';
import { mayAnswerFindAndModifyForAnother, takeFindAndModifyTurns } from './find-and-modify-turns';

type Db = mongo.Db;

/** The ledger: every unit sold (sales' counters) and every purchase. */
export const LEDGER_COLLECTIONS: readonly string[] = ['sales', 'purchases'];

/**
 * A majority write that cannot be acknowledged (a replica set with its secondary down) fails after this
 * instead of holding the request: the service answers 503, as for any database outage.
 */
export const LEDGER_WRITE_TIMEOUT_MS = 10_000;

export interface LedgerRules {
  /** The ledger's write concern outside transactions; undefined leaves the server's default. */
  writeConcern?: mongo.WriteConcernSettings;
  /** The engine may answer a findAndModify with another call's document: calls take turns. */
  findAndModifyTurns: boolean;
}

/**
 * LEDGER_WRITE_CONCERN as a write concern: empty means majority wherever a write can be rolled back by a
 * failover (replica set, mongos) and the server's default on a standalone, which has nothing to roll
 * back to; `majority` or a number of members applies everywhere.
 */
export function ledgerWriteConcern(
  setting: string,
  topology: Topology,
): mongo.WriteConcernSettings | undefined {
  if (setting === '') {
    return topology === 'standalone'
      ? undefined
      : { w: 'majority', wtimeoutMS: LEDGER_WRITE_TIMEOUT_MS };
  }
  const w = setting === 'majority' ? setting : Number(setting);
  return { w, wtimeoutMS: LEDGER_WRITE_TIMEOUT_MS };
}

/** The rules for the server at hand: both are asked of the server at boot, not assumed from how it started. */
export function ledgerRulesFor(
  writeConcernSetting: string,
  server: { version: string; topology: Topology },
): LedgerRules {
  return {
    writeConcern: ledgerWriteConcern(writeConcernSetting, server.topology),
    findAndModifyTurns: mayAnswerFindAndModifyForAnother(server.version),
  };
}

/** e.g. `ledger writes w:majority, reads on the primary`, for the boot log and /health. */
export function describeLedgerRules(rules: LedgerRules): string {
  const writes = rules.writeConcern ? `w:${rules.writeConcern.w}` : 'the server default';
  return `ledger writes ${writes}, reads on the primary`;
}

/**
 * Opens every collection of this connection's database by the ledger's rules, before any model is
 * compiled (mongoose opens a model's collection through `db.collection`). The ledger's reads go to the
 * primary whatever MONGO_URI's readPreference says: a lagging secondary could miss a confirmed purchase
 * and let the audit give its unit back. Its writes carry the ledger write concern (the driver leaves it
 * out inside a transaction, which commits with its own). Other collections keep the URI's options.
 */
export function openCollectionsByLedgerRules(db: Db, rules: LedgerRules): void {
  const open = db.collection.bind(db);
  const collection = (name: string, options?: mongo.CollectionOptions) => {
    const opened = open(name, LEDGER_COLLECTIONS.includes(name) ? ledgerOptions(options) : options);
    return rules.findAndModifyTurns ? takeFindAndModifyTurns(opened) : opened;
  };
  const ledgerOptions = (options?: mongo.CollectionOptions): mongo.CollectionOptions => ({
    ...options,
    readPreference: 'primary',
    ...(rules.writeConcern && { writeConcern: rules.writeConcern }),
  });
  db.collection = collection as Db['collection'];
}
