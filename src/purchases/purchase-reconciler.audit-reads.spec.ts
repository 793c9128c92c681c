import type { ConfigService } from '@nestjs/config';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { Types, type ClientSession, type Connection } from 'mongoose';
import { AdmissionGate } from '../admission/admission-gate';
import { AuditReads } from '../database/audit-reads';
import type { EnvironmentVariables } from '../config/env.validation';
import type { JobLease } from '../jobs/job-lease';
import { SaleStockService } from '../sales/sale-stock.service';
import type { StoredSale } from '../sales/schemas/sale.schema';
import { PurchaseRecordsService } from './purchase-records.service';
import { PurchaseReconciler } from './purchase-reconciler';

/** A reconciler over mocked ledger services, with the audit's session kind of the given topology. */
function reconcilerFor(auditReads: 'snapshot' | 'in order') {
  const session = {
    endSession: jest.fn().mockResolvedValue(undefined),
  } as unknown as ClientSession;
  const connection = { startSession: jest.fn().mockResolvedValue(session) };
  const sale = {
    _id: new Types.ObjectId(),
    totalQuantity: 5,
    remainingQuantity: 4,
    soldQuantity: 1,
  } as StoredSale;
  const stock = {
    findAuditDue: jest.fn().mockResolvedValue([sale]),
    recount: jest.fn().mockResolvedValue(true),
  };
  const records = {
    findAbandoned: jest.fn().mockResolvedValue([]),
    countPending: jest.fn().mockResolvedValue(0),
    sumConfirmedUnits: jest.fn().mockResolvedValue(1),
  };
  const config = { get: () => 1_000 } as unknown as ConfigService<EnvironmentVariables, true>;
  const reconciler = new PurchaseReconciler(
    records as unknown as PurchaseRecordsService,
    stock as unknown as SaleStockService,
    config,
    {} as SchedulerRegistry,
    {} as JobLease,
    new AuditReads(connection as unknown as Connection, { auditReads }),
    { recount: jest.fn() } as unknown as AdmissionGate,
  );
  return { reconciler, session, connection, stock, records, sale };
}

describe("the audit's reads (topology and read rules)", () => {
  it('share one snapshot session through mongos: the sale, the pending count and the sum', async () => {
    const { reconciler, session, connection, stock, records, sale } = reconcilerFor('snapshot');
    await expect(reconciler.reconcile()).resolves.toMatchObject({ verified: 1 });
    expect(connection.startSession).toHaveBeenCalledWith({ snapshot: true });
    expect(stock.findAuditDue).toHaveBeenCalledWith(expect.any(Number), session);
    expect(records.countPending).toHaveBeenCalledWith(sale._id, session);
    expect(records.sumConfirmedUnits).toHaveBeenCalledWith(sale._id, session);
    expect(session.endSession).toHaveBeenCalled();
  });

  it('run in order without a session on a standalone or a replica set (one node holds the ledger)', async () => {
    const { reconciler, connection, records, sale } = reconcilerFor('in order');
    await reconciler.reconcile();
    expect(connection.startSession).not.toHaveBeenCalled();
    expect(records.sumConfirmedUnits).toHaveBeenCalledWith(sale._id, undefined);
  });

  it('end the session when a read fails', async () => {
    const { reconciler, session, records } = reconcilerFor('snapshot');
    records.countPending.mockRejectedValue(new Error('SnapshotUnavailable'));
    await expect(reconciler.reconcile()).rejects.toThrow('SnapshotUnavailable');
    expect(session.endSession).toHaveBeenCalled();
  });
});

describe("the audit's session reaches each read (models mocked)", () => {
  const session = { id: 'snapshot' } as unknown as ClientSession;
  const saleId = new Types.ObjectId();
  const steps = { run: <T>(_: string, command: () => Promise<T>) => command() };

  it('the sale read (findAuditDue)', async () => {
    const find = jest.fn(() => ({
      limit: () => ({ lean: () => ({ exec: () => Promise.resolve([]) }) }),
    }));
    const stock = new SaleStockService({ find } as never, steps as never, {} as never);
    await stock.findAuditDue(500, session);
    expect(find).toHaveBeenCalledWith({ auditDue: true }, null, { session });
  });

  it('the pending count and the confirmed sum', async () => {
    const countDocuments = jest.fn(() => ({ exec: () => Promise.resolve(0) }));
    const withSession = jest.fn(() => ({ exec: () => Promise.resolve([{ units: 3 }]) }));
    const aggregate = jest.fn(() => ({ session: withSession }));
    const records = new PurchaseRecordsService(
      { countDocuments, aggregate } as never,
      steps as never,
    );
    await records.countPending(saleId, session);
    expect(countDocuments).toHaveBeenCalledWith({ saleId, state: 'pending' }, { session });
    await expect(records.sumConfirmedUnits(saleId, session)).resolves.toBe(3);
    expect(withSession).toHaveBeenCalledWith(session);
  });
});
