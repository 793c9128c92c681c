import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { THROTTLE_SCOPE_KEY, type ThrottleScope } from './throttle-scope.decorator';

const COUNTED = Symbol('throttle counted');

/**
 * The request was already counted by this guard's own code, run early (the purchase fast lane runs it
 * before the router and hands the request on when only the database can answer): count it once.
 */
export const markThrottleCounted = (request: object) => {
  (request as { [COUNTED]?: true })[COUNTED] = true;
};

export function throttleScopeOf(context: ExecutionContext): ThrottleScope | undefined {
  return Reflect.getMetadata(THROTTLE_SCOPE_KEY, context.getHandler()) as ThrottleScope | undefined;
}

/**
 * Counts requests per user when a valid token came with them, on public routes too (the JWT guard
 * runs first and attaches the bearer), else per client IP (TRUST_PROXY decides which address that is).
 * Register and login stay per IP even with a token: they are where tokens come from, and keying them
 * by token would give a client one guessing budget per token it holds.
 * Scoped routes share one counter per scope (purchases: per sale); others count per route.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ [COUNTED]?: true }>();
    return request[COUNTED] ? Promise.resolve(true) : super.canActivate(context);
  }

  protected override getTracker(
    req: { user?: AuthenticatedUser; ip: string },
    context?: ExecutionContext,
  ): Promise<string> {
    const user = context && throttleScopeOf(context) === 'auth' ? undefined : req.user;
    return Promise.resolve(user ? `user:${user.id}` : `ip:${req.ip}`);
  }

  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const scope = throttleScopeOf(context);
    const bucket =
      scope === 'purchase'
        ? `purchase:${context.switchToHttp().getRequest<{ params: { id?: string } }>().params.id}`
        : (scope ?? `${context.getClass().name}.${context.getHandler().name}`);
    return `${name}:${bucket}:${tracker}`;
  }
}
