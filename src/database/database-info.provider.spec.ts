import { describeEngine } from './database-info';
import { decideTransactions } from './database-info.provider';

describe('transaction mode', () => {
  it('auto uses transactions exactly when the topology supports them', () => {
    expect(decideTransactions('auto', true, 'replica set')).toBe(true);
    expect(decideTransactions('auto', false, 'standalone')).toBe(false);
  });

  it('off never uses them; on requires them and names the problem otherwise', () => {
    expect(decideTransactions('off', true, 'replica set')).toBe(false);
    expect(decideTransactions('on', true, 'replica set')).toBe(true);
    expect(() => decideTransactions('on', false, 'standalone')).toThrow(
      /MONGO_TRANSACTIONS=on but the MongoDB server is standalone/,
    );
  });

  it('describes the engine in one line', () => {
    const base = {
      topology: 'standalone' as const,
      transactionsSupported: false,
      transactionsEnabled: false,
    };
    expect(describeEngine({ ...base, source: 'jongodb', version: '8.0.0-jongodb' })).toBe(
      'jongodb 8.0.0-jongodb (embedded via jongodb), standalone, transactions off (not available)',
    );
    const replicaSet = {
      source: 'external',
      version: '7.0.24',
      topology: 'replica set' as const,
      transactionsSupported: true,
    };
    expect(describeEngine({ ...replicaSet, transactionsEnabled: true })).toBe(
      'mongod 7.0.24 (MONGO_URI), replica set, transactions on',
    );
    expect(describeEngine({ ...replicaSet, transactionsEnabled: false })).toBe(
      'mongod 7.0.24 (MONGO_URI), replica set, transactions off (available, MONGO_TRANSACTIONS=off)',
    );
  });
});
