import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AdmissionGate } from '../admission/admission-gate';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { EnvironmentVariables } from '../config/env.validation';
import type { ClientSession } from 'mongoose';
import { AuditReads } from '../database/audit-reads';
import { JobLease } from '../jobs/job-lease';
import { SaleStockService } from '../sales/sale-stock.service';
import type { StoredSale } from '../sales/schemas/sale.schema';
import { PurchaseRecordsService } from './purchase-records.service';

const BATCH = 500;

export interface ReconcileReport {
  /** Pending records older than the timeout, deleted. */
  abandoned: number;
  /** Sales whose counters disagreed with their confirmed purchases, recounted. */
  recounted: number;
  /** Sales whose counters were checked and found right. */
  verified: number;
  /** Sales with an attempt in flight or a change during the check: audited on a later tick. */
  deferred: number;
}

/**
 * The standing audit of the ledger, and the only way units come back to a sale. Each tick: pending
 * records older than PURCHASE_PENDING_TIMEOUT_MS are abandoned attempts and are deleted; then every sale
 * with takes not yet audited is, once quiet (no attempt in flight), recounted from its confirmed
 * purchases with a write guarded on what was read. docs/purchase-algorithm.md gives the proof.
 */
@Injectable()
export class PurchaseReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PurchaseReconciler');
  private running = false;
  private stopping = false;

  constructor(
    private readonly records: PurchaseRecordsService,
    private readonly stock: SaleStockService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly scheduler: SchedulerRegistry,
    private readonly lease: JobLease,
    private readonly auditReads: AuditReads,
    private readonly gate: AdmissionGate,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.get('RECONCILE_INTERVAL_MS', { infer: true });
    this.scheduler.addInterval(
      'purchase-reconciler',
      setInterval(() => void this.runSafely(), every),
    );
  }

  beforeApplicationShutdown(): void {
    this.stopping = true; // a run still in flight may now fail as the connection closes: not an error
    if (this.scheduler.doesExist('interval', 'purchase-reconciler')) {
      this.scheduler.deleteInterval('purchase-reconciler');
    }
  }

  async reconcile(now = new Date()): Promise<ReconcileReport> {
    const abandoned = await this.abandonStaleAttempts(now);
    return { abandoned, ...(await this.auditChangedSales()) };
  }

  private async abandonStaleAttempts(now: Date): Promise<number> {
    const timeout = this.config.get('PURCHASE_PENDING_TIMEOUT_MS', { infer: true });
    const stale = await this.records.findAbandoned(new Date(now.getTime() - timeout), BATCH);
    let removed = 0;
    for (const purchase of stale) {
      if (await this.records.deletePending(purchase._id)) removed += 1;
    }
    return removed;
  }

  /** The audit's reads share one session where the topology needs it (AuditReads). */
  private async auditChangedSales(): Promise<Omit<ReconcileReport, 'abandoned'>> {
    const report = { recounted: 0, verified: 0, deferred: 0 };
    await this.auditReads.run(async (session) => {
      for (const sale of await this.stock.findAuditDue(BATCH, session)) {
        report[await this.audit(sale, session)] += 1;
      }
    });
    return report;
  }

  /**
   * The order matters. The sale is read first (by findAuditDue); pending records are counted next, and
   * only then are confirmed units summed: an attempt that confirms after the count was already pending
   * at the count, so a quiet count means the sum misses no confirm of a take the sale read included, and
   * a take after the read changes acceptedSeq, so the guarded recount misses and waits for a later tick.
   */
  private async audit(
    sale: StoredSale,
    session: ClientSession | undefined,
  ): Promise<keyof Omit<ReconcileReport, 'abandoned'>> {
    if ((await this.records.countPending(sale._id, session)) > 0) return 'deferred';
    const units = await this.records.sumConfirmedUnits(sale._id, session);
    if (!(await this.stock.recount(sale, units))) return 'deferred';
    this.gate.recount(sale._id.toHexString(), sale.totalQuantity - units); // its stock estimate, too
    if (units === sale.soldQuantity) return 'verified';
    this.logger.warn(
      `sale ${sale._id.toHexString()}: counters recounted, ${sale.soldQuantity} -> ${units} sold`,
    );
    return 'recounted';
  }

  /**
   * Only the job-lease holder audits on its own; correctness does not depend on that, since every delete
   * and recount is guarded on what was read (two reconcilers at once only repeat work).
   */
  private async runSafely(): Promise<void> {
    if (this.running || !this.lease.held) return;
    this.running = true;
    try {
      const report = await this.reconcile();
      if (report.abandoned) this.logger.warn(`abandoned ${report.abandoned} stale attempt(s)`);
    } catch (error) {
      if (!this.stopping) this.logger.error(`reconcile failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
