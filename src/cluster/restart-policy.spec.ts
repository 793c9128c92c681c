import { RestartPolicy } from './restart-policy';

describe('RestartPolicy', () => {
  const options = {
    healthyUptimeMs: 10_000,
    maxEarlyDeaths: 5,
    firstBackoffMs: 250,
    maxBackoffMs: 1_000,
  };

  it('replaces a worker that served for a while at once, however often that happens', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 20; i += 1) {
      expect(policy.onWorkerExit(60_000)).toEqual({ restartInMs: 0 });
    }
  });

  it('backs off exponentially (capped) on workers that die soon after starting', () => {
    const policy = new RestartPolicy(options);
    const delays = [1, 2, 3, 4].map(() => policy.onWorkerExit(500));
    expect(delays).toEqual([
      { restartInMs: 250 },
      { restartInMs: 500 },
      { restartInMs: 1_000 },
      { restartInMs: 1_000 },
    ]);
  });

  it('gives up on a crash loop, saying so', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 4; i += 1) policy.onWorkerExit(100);
    expect(policy.onWorkerExit(100)).toEqual({
      giveUp: '5 workers in a row died within 10 s of starting (a crash loop)',
    });
  });

  it('forgets early deaths once a worker has lived long enough', () => {
    const policy = new RestartPolicy(options);
    for (let i = 0; i < 4; i += 1) policy.onWorkerExit(100);
    expect(policy.onWorkerExit(10_000)).toEqual({ restartInMs: 0 });
    expect(policy.onWorkerExit(100)).toEqual({ restartInMs: 250 });
  });
});
