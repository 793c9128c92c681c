import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SaleLifecycleService } from './sale-lifecycle.service';

/**
 * Moves stored statuses along with the clock, once a second, and once at boot to catch up on whatever
 * happened while the service was down. Purchases never wait for it: they judge "open" from the times.
 */
@Injectable()
export class SalesScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SalesScheduler');
  private running = false;
  private stopping = false;

  constructor(private readonly lifecycle: SaleLifecycleService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
  }

  /** The database closes during shutdown; a tick started then would only log a spurious error. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  @Cron(CronExpression.EVERY_SECOND, { name: 'sale-status' })
  async tick(now = new Date()): Promise<void> {
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
