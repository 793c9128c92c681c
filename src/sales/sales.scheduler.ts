import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobLease } from '../jobs/job-lease';
import { SaleLifecycleService } from './sale-lifecycle.service';

/**
 * Moves stored statuses along with the clock, once a second on the instance holding the job lease, and
 * once at boot on every instance to catch up on whatever happened while the service was down (a boot
 * should not wait for a lease; the catch-up is conditional updates, harmless when run twice). Purchases
 * never wait for it: they judge "open" from the times.
 */
@Injectable()
export class SalesScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SalesScheduler');
  private running = false;
  private stopping = false;

  constructor(
    private readonly lifecycle: SaleLifecycleService,
    private readonly lease: JobLease,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep(new Date());
  }

  /** The database closes during shutdown; a tick started then would only log a spurious error. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  @Cron(CronExpression.EVERY_SECOND, { name: 'sale-status' })
  async tick(now = new Date()): Promise<void> {
    // One instance sweeps; the others would only repeat its conditional updates, matching nothing.
    if (!this.lease.held) return;
    await this.sweep(now);
  }

  private async sweep(now: Date): Promise<void> {
    if (this.running || this.stopping) return; // a slow database must not pile up overlapping ticks
    this.running = true;
    try {
      const changes = await this.lifecycle.advance(now);
      if (changes.ended || changes.activated) {
        this.logger.log(`ended ${changes.ended}, activated ${changes.activated} sale(s)`);
      }
    } catch (error) {
      if (!this.stopping) this.logger.error(`status sweep failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
