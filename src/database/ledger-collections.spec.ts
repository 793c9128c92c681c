import { mongo } from 'mongoose';
import {
  LEDGER_WRITE_TIMEOUT_MS,
  describeLedgerRules,
  ledgerRulesFor,
  ledgerWriteConcern,
  openCollectionsByLedgerRules,
} from './ledger-collections';

/** A real driver Db (never connected) from a URI that asks for secondary reads and w:1. */
function databaseFromUri(rules: Parameters<typeof openCollectionsByLedgerRules>[1]) {
  const client = new mongo.MongoClient(
    'mongodb://127.0.0.1:1/shop?readPreference=secondaryPreferred&w=1',
  );
  const db = client.db();
  openCollectionsByLedgerRules(db, rules);
  return db;
}

const majority = { w: 'majority' as const, wtimeoutMS: LEDGER_WRITE_TIMEOUT_MS };

describe('the ledger collections', () => {
  it("read from the primary whatever MONGO_URI's readPreference says: finds, counts and sums", () => {
    const db = databaseFromUri({ findAndModifyTurns: false });
    for (const name of ['sales', 'purchases']) {
      const collection = db.collection(name);
      expect(collection.readPreference?.mode).toBe('primary');
      expect(collection.find({}).readPreference.mode).toBe('primary');
      expect(collection.aggregate([]).readPreference.mode).toBe('primary');
    }
    // Others keep the URI's choice: only the ledger is pinned.
    expect(db.collection('products').readPreference?.mode).toBe('secondaryPreferred');
  });

  it('write with the ledger write concern, other collections with the URI one', () => {
    const db = databaseFromUri({ findAndModifyTurns: false, writeConcern: majority });
    expect(db.collection('sales').writeConcern).toMatchObject(majority);
    expect(db.collection('purchases').writeConcern).toMatchObject(majority);
    expect(db.collection('users').writeConcern).toMatchObject({ w: 1 });
  });

  it('keep the URI write concern when the ledger has none (a standalone by default)', () => {
    const db = databaseFromUri({ findAndModifyTurns: false });
    expect(db.collection('purchases').writeConcern).toMatchObject({ w: 1 });
  });

  it('take findAndModify turns only on an engine that needs them', () => {
    const own = (db: mongo.Db) => Object.keys(db.collection('sales'));
    expect(own(databaseFromUri({ findAndModifyTurns: true }))).toContain('findOneAndUpdate');
    expect(own(databaseFromUri({ findAndModifyTurns: false }))).not.toContain('findOneAndUpdate');
  });
});

describe('LEDGER_WRITE_CONCERN', () => {
  it('empty: majority where a failover can roll a write back, the server default on a standalone', () => {
    expect(ledgerWriteConcern('', 'replica set')).toEqual(majority);
    expect(ledgerWriteConcern('', 'sharded (mongos)')).toEqual(majority);
    expect(ledgerWriteConcern('', 'standalone')).toBeUndefined();
  });

  it('majority or a number of members applies on every topology', () => {
    expect(ledgerWriteConcern('majority', 'standalone')).toEqual(majority);
    expect(ledgerWriteConcern('2', 'replica set')).toEqual({ ...majority, w: 2 });
  });

  it('goes with the stand-in guard into one description for the boot log', () => {
    const rules = ledgerRulesFor('', { version: '8.0.0-jongodb', topology: 'standalone' });
    expect(rules).toEqual({ writeConcern: undefined, findAndModifyTurns: true });
    expect(describeLedgerRules(rules)).toBe(
      'ledger writes the server default, reads on the primary',
    );
    const replicaSet = ledgerRulesFor('', { version: '8.0.4', topology: 'replica set' });
    expect(describeLedgerRules(replicaSet)).toBe('ledger writes w:majority, reads on the primary');
  });
});
