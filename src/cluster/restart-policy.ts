/**
 * When to replace a dead worker, and when to stop trying. A worker that dies soon after it was started
 * most likely dies of something a restart does not fix (a bad deployment, a port taken, a database that
 * refuses it): such early deaths back off exponentially, and a run of them ends the cluster with a
 * clear message instead of forking forever. A worker that served for a while is replaced at once.
 */
export interface RestartPolicyOptions {
  /** A worker that lived at least this long died of something else than its start. */
  healthyUptimeMs: number;
  /** Early deaths in a row that mean a crash loop. */
  maxEarlyDeaths: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  healthyUptimeMs: 10_000,
  maxEarlyDeaths: 5,
  firstBackoffMs: 250,
  maxBackoffMs: 5_000,
};

export type RestartDecision = { restartInMs: number } | { giveUp: string };

export class RestartPolicy {
  private earlyDeaths = 0;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  onWorkerExit(uptimeMs: number): RestartDecision {
    if (uptimeMs >= this.options.healthyUptimeMs) {
      this.earlyDeaths = 0;
      return { restartInMs: 0 };
    }
    this.earlyDeaths += 1;
    if (this.earlyDeaths >= this.options.maxEarlyDeaths) {
      return {
        giveUp:
          `${this.earlyDeaths} workers in a row died within ${this.options.healthyUptimeMs / 1000} s ` +
          'of starting (a crash loop)',
      };
    }
    const backoff = this.options.firstBackoffMs * 2 ** (this.earlyDeaths - 1);
    return { restartInMs: Math.min(backoff, this.options.maxBackoffMs) };
  }
}
