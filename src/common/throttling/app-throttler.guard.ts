import { type ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerGenerateKeyFunction,
  type ThrottlerGetTrackerFunction,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import type { Resolvable } from '@nestjs/throttler/dist/throttler-module-options.interface';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { budgetAddressOf } from '../http/request-identity';
import { THROTTLE_SCOPE_KEY, type ThrottleScope } from './throttle-scope.decorator';

const COUNTED = Symbol('throttle counted');

/**
 * The request was already counted by this guard's own code, run early (the purchase fast lane runs it
 * before the router and hands the request on when only the database can answer): count it once.
 */
export const markThrottleCounted = (request: object) => {
  (request as { [COUNTED]?: true })[COUNTED] = true;
};

/** Route metadata is fixed once the app is built, and every request asks it: read it once per handler. */
const scopes = new WeakMap<object, ThrottleScope | null>();

export function throttleScopeOf(context: ExecutionContext): ThrottleScope | undefined {
  const handler = context.getHandler();
  let scope = scopes.get(handler);
  if (scope === undefined) {
    scope = (Reflect.getMetadata(THROTTLE_SCOPE_KEY, handler) as ThrottleScope | undefined) ?? null;
    scopes.set(handler, scope);
  }
  return scope ?? undefined;
}

/** One named throttler as a route's metadata (@Throttle, @SkipThrottle) overrides it. */
interface RouteThrottler {
  throttler: ThrottlerOptions & { name: string };
  skip: boolean;
  limit: Resolvable<number>;
  ttl: Resolvable<number>;
  blockDuration: Resolvable<number> | undefined;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
}

/**
 * Counts requests per user when a valid token came with them, on public routes too (the JWT guard
 * runs first and attaches the bearer), else per client IP (TRUST_PROXY decides which address that is).
 * Register and login stay per IP even with a token: they are where tokens come from, and keying them
 * by token would give a client one guessing budget per token it holds.
 * Scoped routes share one counter per scope (purchases: per sale); others count per route.
 *
 * The library's canActivate reads six metadata keys per throttler and awaits each option on every
 * request; here the metadata is read once per route (it cannot change after boot) and an option is
 * resolved per request only when it is a function. Counting, headers and the 429 stay the library's
 * (handleRequest). docs/performance.md has the before and after.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  private readonly routes = new WeakMap<object, Map<object, RouteThrottler[]>>();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ [COUNTED]?: true }>();
    if (request[COUNTED]) return true;
    for (const route of this.routeThrottlers(context)) {
      const skipIf = route.throttler.skipIf ?? this.commonOptions.skipIf;
      if (route.skip || skipIf?.(context)) continue;
      const options = resolveAll(context, [route.limit, route.ttl, route.blockDuration]);
      const [limit, ttl, blockDuration] = options instanceof Promise ? await options : options;
      const number = (value: unknown, option: string) =>
        toNumber(value, option, route.throttler.name);
      await this.handleRequest({
        context,
        throttler: route.throttler,
        limit: number(limit, 'limit'),
        ttl: number(ttl, 'ttl'),
        blockDuration: number(blockDuration ?? ttl, 'blockDuration'),
        getTracker: route.getTracker,
        generateKey: route.generateKey,
      });
    }
    return true;
  }

  protected override getTracker(
    req: { user?: AuthenticatedUser; ip: string; budgetAddress?: string },
    context?: ExecutionContext,
  ): Promise<string> {
    const user = context && throttleScopeOf(context) === 'auth' ? undefined : req.user;
    return Promise.resolve(user ? `user:${user.id}` : `ip:${budgetAddressOf(req)}`);
  }

  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const scope = throttleScopeOf(context);
    const bucket =
      scope === 'purchase'
        ? `purchase:${context.switchToHttp().getRequest<{ params: { id?: string } }>().params.id}`
        : (scope ?? `${context.getClass().name}.${context.getHandler().name}`);
    return `${name}:${bucket}:${tracker}`;
  }

  private routeThrottlers(context: ExecutionContext): RouteThrottler[] {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.routes.get(handler);
    if (!byController) {
      byController = new Map<object, RouteThrottler[]>();
      this.routes.set(handler, byController);
    }
    let found = byController.get(controller);
    if (!found) {
      found = (this.throttlers as Array<ThrottlerOptions & { name: string }>).map((throttler) =>
        this.readRoute(throttler, [handler, controller]),
      );
      byController.set(controller, found);
    }
    return found;
  }

  /** What the library's canActivate reads from a route's metadata, read the same way. */
  private readRoute(
    throttler: ThrottlerOptions & { name: string },
    targets: [object, object],
  ): RouteThrottler {
    const read = <T>(key: string) =>
      this.reflector.getAllAndOverride<T | undefined>(key + throttler.name, targets as never);
    return {
      throttler,
      skip: Boolean(read<boolean>(THROTTLER_SKIP)),
      limit: read<Resolvable<number>>(THROTTLER_LIMIT) ?? throttler.limit,
      ttl: read<Resolvable<number>>(THROTTLER_TTL) ?? throttler.ttl,
      blockDuration: read<Resolvable<number>>(THROTTLER_BLOCK_DURATION) ?? throttler.blockDuration,
      getTracker:
        read<ThrottlerGetTrackerFunction>(THROTTLER_TRACKER) ??
        throttler.getTracker ??
        this.commonOptions.getTracker!,
      generateKey:
        read<ThrottlerGenerateKeyFunction>(THROTTLER_KEY_GENERATOR) ??
        throttler.generateKey ??
        this.commonOptions.generateKey!,
    };
  }
}

/**
 * Options as the library resolves them (a function of the request is called), without a promise per
 * option: only a function that returns one is awaited.
 */
function resolveAll(
  context: ExecutionContext,
  options: Array<Resolvable<number> | undefined>,
): Array<number | undefined> | Promise<Array<number | undefined>> {
  const values: Array<number | Promise<number> | undefined> = options.map((option) =>
    typeof option === 'function' ? option(context) : option,
  );
  return values.some((value) => value instanceof Promise)
    ? Promise.all(values.map((value) => Promise.resolve(value)))
    : (values as Array<number | undefined>);
}

/** The library's check of a resolved option (its own is private): a number, or a string of one. */
function toNumber(value: unknown, option: string, throttlerName: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw new Error(
      `Invalid "${option}" for the "${throttlerName}" throttler: expected a number, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
}
