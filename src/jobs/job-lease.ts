import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { EnvironmentVariables } from '../config/env.validation';
import { type LeaseChange, LeaseKeeper } from './lease-keeper';
import { MongoLeaseStore } from './lease-store';
import { Lease } from './schemas/lease.schema';

export const PERIODIC_JOBS_LEASE = 'periodic-jobs';
/** A release that cannot reach the database must not hold shutdown up: the lease then just runs out. */
const RELEASE_TIMEOUT_MS = 1_000;

/**
 * Which instance runs the periodic jobs (the sale status sweep, the purchase reconciler): the holder of
 * one lease in MongoDB, renewed every third of JOB_LEASE_TTL_MS. The lease removes duplicated work only;
 * correctness never depends on it, since every job's write is a conditional update that is safe on
 * several instances at once (during a takeover, or with skewed clocks, that is what happens).
 */
@Injectable()
export class JobLease implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobLease');
  private readonly keeper: LeaseKeeper;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopping = false;

  constructor(
    @InjectModel(Lease.name) leases: Model<Lease>,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    const holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const ttl = config.get('JOB_LEASE_TTL_MS', { infer: true });
    this.keeper = new LeaseKeeper(new MongoLeaseStore(leases, PERIODIC_JOBS_LEASE), holder, ttl);
  }

  /** Whether this instance should run the periodic jobs right now. */
  get held(): boolean {
    return this.keeper.held;
  }

  get holder(): string {
    return this.keeper.holder;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.step();
    this.timer = setInterval(() => void this.step(), Math.floor(this.keeper.ttlMs / 3));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.inFlight;
    let timeout: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<LeaseChange>((resolve) => {
      timeout = setTimeout(
        () => resolve({ change: 'lost', reason: 'shutting down; the lease runs out by itself' }),
        RELEASE_TIMEOUT_MS,
      );
    });
    try {
      this.report(await Promise.race([this.keeper.release(), gaveUp]));
    } catch (error) {
      this.report({ change: 'lost', reason: `shutting down (release failed: ${String(error)})` });
    } finally {
      clearTimeout(timeout);
    }
  }

  private step(): Promise<void> {
    if (this.stopping || this.inFlight) return this.inFlight ?? Promise.resolve();
    this.inFlight = this.keeper
      .step()
      .then((change) => this.report(change))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private report(change: LeaseChange): void {
    if (change.change === 'gained') {
      this.logger.log(
        `This instance is now the job runner (sale status sweep, purchase reconciler): ` +
          `lease ${PERIODIC_JOBS_LEASE} held by ${this.keeper.holder}`,
      );
    } else if (change.change === 'lost') {
      this.logger.log(`This instance is no longer the job runner: ${change.reason}`);
    }
  }
}
