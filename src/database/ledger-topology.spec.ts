import { auditReadsFor, checkLedgerTopology } from './ledger-topology';

const facts = {
  source: 'external',
  version: '8.0.4',
  topology: 'replica set' as const,
  transactionsEnabled: true,
  findAndModifyTurns: false,
  writeConcernW: 'majority' as string | number | undefined,
  clusterWorker: false,
};

describe('topology and read rules', () => {
  it('audits through mongos at one snapshot, elsewhere in order on the primary', () => {
    expect(auditReadsFor('sharded (mongos)')).toBe('snapshot');
    expect(auditReadsFor('replica set')).toBe('in order');
    expect(auditReadsFor('standalone')).toBe('in order');
  });

  it('accepts a standalone, a replica set and mongos 5.0+ as they come', () => {
    expect(
      checkLedgerTopology({ ...facts, topology: 'standalone', writeConcernW: undefined }),
    ).toEqual({ warnings: [] });
    expect(checkLedgerTopology(facts)).toEqual({ warnings: [] });
    expect(checkLedgerTopology({ ...facts, topology: 'sharded (mongos)' })).toEqual({
      warnings: [],
    });
  });

  it('refuses mongos before MongoDB 5.0: no snapshot reads for the audit', () => {
    const { refusal } = checkLedgerTopology({
      ...facts,
      topology: 'sharded (mongos)',
      version: '4.4.29',
    });
    expect(refusal).toMatch(/MongoDB 4\.4\.29 through mongos: .*snapshot reads \(MongoDB 5\.0\+\)/);
  });

  it('refuses mongos without transactions unless the ledger writes with majority', () => {
    const sharded = { ...facts, topology: 'sharded (mongos)' as const, transactionsEnabled: false };
    expect(checkLedgerTopology({ ...sharded, writeConcernW: 1 }).refusal).toMatch(
      /LEDGER_WRITE_CONCERN w:1 through mongos without transactions/,
    );
    expect(checkLedgerTopology(sharded)).toEqual({ warnings: [] });
  });

  it('warns plainly where the stand-in guard covers one process of several', () => {
    const standIn = {
      ...facts,
      version: '8.0.0-jongodb',
      topology: 'standalone' as const,
      findAndModifyTurns: true,
    };
    expect(checkLedgerTopology({ ...standIn, source: 'jongodb' }).warnings).toEqual([]);
    expect(checkLedgerTopology(standIn).warnings).toEqual([
      expect.stringMatching(/MONGO_URI points at it, .*two buyers may then share a place in line/),
    ]);
    expect(
      checkLedgerTopology({ ...standIn, source: 'jongodb', clusterWorker: true }).warnings,
    ).toEqual([expect.stringMatching(/shares it with the other CLUSTER_WORKERS workers/)]);
  });
});
