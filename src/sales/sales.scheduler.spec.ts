import { Logger } from '@nestjs/common';
import type { JobLease } from '../jobs/job-lease';
import { SaleLifecycleService } from './sale-lifecycle.service';
import { SalesScheduler } from './sales.scheduler';

describe('SalesScheduler', () => {
  const changes = { ended: 0, activated: 0, soldOut: 0, reopened: 0 };
  let advance: jest.Mock;
  let scheduler: SalesScheduler;
  let lease: { held: boolean };

  beforeAll(() => {
    Logger.overrideLogger(false); // the failing-sweep case logs by design
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']);
  });

  beforeEach(() => {
    advance = jest.fn().mockResolvedValue(changes);
    lease = { held: true };
    scheduler = new SalesScheduler(
      { advance } as unknown as SaleLifecycleService,
      lease as unknown as JobLease,
    );
  });

  it('catches up once at boot', async () => {
    await scheduler.onApplicationBootstrap();
    expect(advance).toHaveBeenCalledTimes(1);
  });

  it('catches up at boot even without the job lease, then ticks only while holding it', async () => {
    lease.held = false;
    await scheduler.onApplicationBootstrap();
    await scheduler.tick();
    expect(advance).toHaveBeenCalledTimes(1);
    lease.held = true;
    await scheduler.tick();
    expect(advance).toHaveBeenCalledTimes(2);
  });

  it('never overlaps ticks when the database is slow', async () => {
    let release!: () => void;
    advance.mockReturnValueOnce(new Promise((resolve) => (release = () => resolve(changes))));
    const first = scheduler.tick();
    await scheduler.tick();
    expect(advance).toHaveBeenCalledTimes(1);
    release();
    await first;
    await scheduler.tick();
    expect(advance).toHaveBeenCalledTimes(2);
  });

  it('survives a failing sweep and stops ticking once shutdown begins', async () => {
    advance.mockRejectedValueOnce(new Error('db down'));
    await expect(scheduler.tick()).resolves.toBeUndefined();
    scheduler.beforeApplicationShutdown();
    await scheduler.tick();
    expect(advance).toHaveBeenCalledTimes(1);
  });
});
