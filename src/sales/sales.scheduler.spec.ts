import { Logger } from '@nestjs/common';
import { SaleLifecycleService } from './sale-lifecycle.service';
import { SalesScheduler } from './sales.scheduler';

describe('SalesScheduler', () => {
  const changes = { ended: 0, activated: 0, soldOut: 0, reopened: 0 };
  let advance: jest.Mock;
  let scheduler: SalesScheduler;

  beforeAll(() => {
    Logger.overrideLogger(false); // the failing-sweep case logs by design
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']);
  });

  beforeEach(() => {
    advance = jest.fn().mockResolvedValue(changes);
    scheduler = new SalesScheduler({ advance } as unknown as SaleLifecycleService);
  });

  it('catches up once at boot', async () => {
    await scheduler.onApplicationBootstrap();
    expect(advance).toHaveBeenCalledTimes(1);
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
