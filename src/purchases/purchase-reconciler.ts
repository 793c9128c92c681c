import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { EnvironmentVariables } from '../config/env.validation';
import { SaleStockService } from '../sales/sale-stock.service';
import { PurchaseRecordsService } from './purchase-records.service';

const BATCH = 500;

export interface ReconcileReport {
  abandoned: number;
  repaired: number;
  deferred: number;
}

/**
 * Repairs what a crash (or a lost connection) between the purchase steps left behind, when running
 * without transactions: pending records older than PURCHASE_PENDING_TIMEOUT_MS are abandoned attempts;
 * their sales get counters recounted from the confirmed purchases once no attempt is in flight.
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
    return { abandoned, ...(await this.recountQuietSales()) };
  }

  /** Pending records older than the timeout: flag their sales, then delete them. */
  private async abandonStaleAttempts(now: Date): Promise<number> {
    const timeout = this.config.get('PURCHASE_PENDING_TIMEOUT_MS', { infer: true });
    const stale = await this.records.findAbandoned(new Date(now.getTime() - timeout), BATCH);
    const saleIds = new Map(stale.map((purchase) => [String(purchase.saleId), purchase.saleId]));
    // Flag first: from here on, attempts on these sales no longer give units back themselves.
    await this.stock.markNeedsReconcile([...saleIds.values()]);
    let removed = 0;
    for (const purchase of stale) {
      if (await this.records.deletePending(purchase._id)) removed += 1;
    }
    return removed;
  }

  /**
   * Flagged sales with no attempt in flight get counters recounted from their confirmed purchases. The
   * sale is read first and the repair is guarded on what was read, so a take in between defers it.
   */
  private async recountQuietSales(): Promise<{ repaired: number; deferred: number }> {
    let repaired = 0;
    let deferred = 0;
    for (const sale of await this.stock.findNeedingReconcile(BATCH)) {
      const quiet = (await this.records.countPending(sale._id)) === 0;
      const units = quiet ? await this.records.sumConfirmedUnits(sale._id) : 0;
      if (quiet && (await this.stock.repairCounters(sale, units))) repaired += 1;
      else deferred += 1;
    }
    return { repaired, deferred };
  }

  private async runSafely(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const report = await this.reconcile();
      if (report.abandoned || report.repaired) {
        this.logger.warn(
          `abandoned ${report.abandoned} attempt(s), recounted ${report.repaired} sale(s)`,
        );
      }
    } catch (error) {
      if (!this.stopping) this.logger.error(`reconcile failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
