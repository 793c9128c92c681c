import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { SkipThrottle, Throttle, ThrottlerException } from '@nestjs/throttler';
import { AppThrottlerGuard, markThrottleCounted } from './app-throttler.guard';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

class Routes {
  plain(): void {}
  @Throttle({ default: { limit: 2, ttl: 1_000 } })
  strict(): void {}
  @SkipThrottle()
  free(): void {}
}

describe('AppThrottlerGuard', () => {
  let storage: FixedWindowThrottlerStorage;
  let reflector: Reflector;
  let guard: AppThrottlerGuard;
  const moduleLimit = jest.fn(() => 3);

  beforeEach(async () => {
    storage = new FixedWindowThrottlerStorage();
    reflector = new Reflector();
    moduleLimit.mockClear();
    guard = new AppThrottlerGuard(
      { throttlers: [{ name: 'default', ttl: 60_000, limit: moduleLimit }] },
      storage,
      reflector,
    );
    await guard.onModuleInit();
  });

  afterEach(() => storage.onModuleDestroy());

  const call = (route: keyof Routes, request: object = { ip: '10.0.0.1' }) => {
    const headers: Record<string, unknown> = {};
    const reply = { header: (name: string, value: unknown) => (headers[name] = value) };
    const context = new ExecutionContextHost([request, reply], Routes, Routes.prototype[route]);
    return { headers, result: guard.canActivate(context) };
  };

  it("counts against the module's limit, resolved per request, and refuses past it", async () => {
    for (let i = 0; i < 3; i += 1) await expect(call('plain').result).resolves.toBe(true);
    const refused = call('plain');
    await expect(refused.result).rejects.toBeInstanceOf(ThrottlerException);
    expect(refused.headers['Retry-After']).toBe(60);
    expect(moduleLimit).toHaveBeenCalledTimes(4);
  });

  it("honours a route's @Throttle and sets the library's headers", async () => {
    const first = call('strict');
    await first.result;
    expect(first.headers).toEqual({
      'X-RateLimit-Limit': 2,
      'X-RateLimit-Remaining': 1,
      'X-RateLimit-Reset': 1,
    });
    await call('strict').result;
    await expect(call('strict').result).rejects.toBeInstanceOf(ThrottlerException);
  });

  it('counts nothing on a route with @SkipThrottle', async () => {
    for (let i = 0; i < 10; i += 1) await expect(call('free').result).resolves.toBe(true);
    expect(storage.size).toBe(0);
  });

  it('counts a request the fast lane already counted only once', async () => {
    const request = { ip: '10.0.0.2' };
    markThrottleCounted(request);
    await call('strict', request).result;
    expect(storage.size).toBe(0);
  });

  it("reads a route's metadata once, not per request", async () => {
    const reads = jest.spyOn(reflector, 'getAllAndOverride');
    await call('plain').result;
    const perRoute = reads.mock.calls.length;
    expect(perRoute).toBeGreaterThan(0);
    await call('plain').result;
    await call('plain').result;
    expect(reads).toHaveBeenCalledTimes(perRoute);
  });
});
