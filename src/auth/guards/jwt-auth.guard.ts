import { type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../../common/errors/api-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { budgetAddressOf } from '../../common/http/request-identity';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import type { EnvironmentVariables } from '../../config/env.validation';
import type { AuthenticatedUser } from '../authenticated-user';
import { bearerToken, VerifiedTokens } from '../verified-tokens';

type BearerRequest = {
  headers: { authorization?: string };
  user?: AuthenticatedUser;
  ip: string;
  budgetAddress?: string;
};

/**
 * Passport's JWT strategy verifies each token the first time this process sees it; the verified claims
 * are then remembered (VerifiedTokens) until the token expires.
 *
 * A refusal (no token, a bad one) never reaches the throttler guard, so refusals are counted here, per
 * IP: past THROTTLE_AUTH_FAILURE_LIMIT in a window, that IP's refusals become 429 (token guessing and
 * log flooding cost a budget). A valid token from the same IP still passes.
 *
 * On @Public() routes a token is optional and only decides who the throttler counts the request as.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly failureWindowMs: number;
  private readonly failureLimit: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: VerifiedTokens,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    super();
    this.failureWindowMs = config.get('THROTTLE_TTL', { infer: true }) * 1000;
    this.failureLimit = config.get('THROTTLE_AUTH_FAILURE_LIMIT', { infer: true });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<BearerRequest>();
    const token = bearerToken(request.headers.authorization);
    if (this.isPublic(context)) {
      // Only who the request is counted as changes: a valid token keys the throttler by user; a
      // missing, bad or expired one leaves the request anonymous (per IP). A public route never says 401.
      if (request.headers.authorization !== undefined)
        await this.attachBearer(context, request, token).catch(() => undefined);
      return true;
    }
    try {
      await this.attachBearer(context, request, token);
    } catch (error) {
      await this.countFailure(context, budgetAddressOf(request));
      throw error;
    }
    return true;
  }

  private isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
  }

  /** request.user from the remembered verification, else from the JWT strategy; 401 when neither accepts it. */
  private async attachBearer(
    context: ExecutionContext,
    request: BearerRequest,
    token: string | undefined,
  ): Promise<void> {
    const known = this.tokens.userOf(token);
    if (known) {
      request.user = known;
      return;
    }
    await super.canActivate(context);
    if (token && request.user) this.tokens.remember(token, request.user);
  }

  private async countFailure(context: ExecutionContext, ip: string): Promise<void> {
    const window = this.failureWindowMs;
    const record = await this.storage.increment(
      `auth-failure:${ip}`,
      window,
      this.failureLimit,
      window,
      'auth-failure',
    );
    if (!record.isBlocked) return;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('retry-after', String(Math.max(1, record.timeToBlockExpire)));
    throw new ApiError(
      HttpStatus.TOO_MANY_REQUESTS,
      ErrorCode.TOO_MANY_REQUESTS,
      'Too many requests without a valid token, slow down',
    );
  }

  override handleRequest<T = AuthenticatedUser>(error: unknown, user: T, info: unknown): T {
    if (error || !user) {
      const expired = (info as { name?: string } | undefined)?.name === 'TokenExpiredError';
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.UNAUTHORIZED,
        expired ? 'Access token expired' : 'Missing or invalid bearer token',
      );
    }
    return user;
  }
}
