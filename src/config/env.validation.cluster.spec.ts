import { availableParallelism } from 'node:os';
import { clusterWorkerCount, validateEnvironment } from './env.validation';

describe('validateEnvironment: job lease and cluster settings', () => {
  it('defaults to one worker and a 5 s job lease', () => {
    const env = validateEnvironment({});
    expect(env.JOB_LEASE_TTL_MS).toBe(5_000);
    expect(clusterWorkerCount(env)).toBe(1);
  });

  it('reads CLUSTER_WORKERS as a count, or auto as one worker per core', () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379/0' };
    expect(clusterWorkerCount(validateEnvironment({ ...redis, CLUSTER_WORKERS: '4' }))).toBe(4);
    expect(clusterWorkerCount(validateEnvironment({ ...redis, CLUSTER_WORKERS: 'auto' }))).toBe(
      availableParallelism(),
    );
  });

  it.each(['0', '-1', 'two', '1.5', '100'])('refuses CLUSTER_WORKERS=%s, naming it', (value) => {
    expect(() => validateEnvironment({ CLUSTER_WORKERS: value })).toThrow(/CLUSTER_WORKERS/);
  });

  it('requires REDIS_URL for more than one worker, naming it', () => {
    expect(() => validateEnvironment({ CLUSTER_WORKERS: '2' })).toThrow(
      /CLUSTER_WORKERS=2 \(2 workers\) requires REDIS_URL/,
    );
    expect(() => validateEnvironment({ CLUSTER_WORKERS: '1' })).not.toThrow();
  });

  it.each(['100', 'soon', '700000'])('refuses JOB_LEASE_TTL_MS=%s, naming it', (value) => {
    expect(() => validateEnvironment({ JOB_LEASE_TTL_MS: value })).toThrow(/JOB_LEASE_TTL_MS/);
  });
});
