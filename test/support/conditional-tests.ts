/**
 * Engine-conditional tests: `itWhen(cond, reason)('does x', fn)` runs the test when `cond` holds, and
 * otherwise reports it as skipped with the reason in its title, so a report never counts it as passed.
 */
export function itWhen(condition: boolean, reason: string) {
  return (name: string, fn: jest.ProvidesCallback, timeout?: number): void => {
    if (condition) it(name, fn, timeout);
    else it.skip(`${name} (skipped: ${reason})`, fn, timeout);
  };
}

/** Set by test/support/global-setup.ts from the server's own `hello` answer. */
export const testDatabase = {
  engine: process.env.TEST_DB_ENGINE,
  topology: process.env.TEST_DB_TOPOLOGY,
  isStandIn: process.env.TEST_DB_ENGINE === 'jongodb',
  isStandalone: process.env.TEST_DB_TOPOLOGY === 'standalone',
};

/** Set by test/support/test-redis.ts: this run's Redis, or unset when it has none. */
export const testRedis = {
  url: process.env.TEST_REDIS_URL,
  available: process.env.TEST_REDIS_URL !== undefined,
  skipReason: 'no Redis for this run: no redis-server binary and no TEST_REDIS_URL',
};
