import { type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../../common/errors/api-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { IS_PUBLIC_KEY } from '../../common/decorators/public.decorator';
import type { AuthenticatedUser } from '../authenticated-user';

type BearerRequest = { headers: { authorization?: string }; user?: AuthenticatedUser };

const BEARER = /^Bearer (\S+)$/;

/**
 * Passport's JWT strategy verifies each token the first time this process sees it; the verified claims
 * are then remembered, keyed by the whole token string (signature included, so nothing unverified can
 * match), until the token expires. In a flash sale the same buyers send the same token again and again,
 * and verification was the largest single cost of a refused purchase.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified = new LRUCache<string, AuthenticatedUser>({ max: 50_000 });

  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<BearerRequest>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const known = token ? this.verified.get(token) : undefined;
    if (known) {
      request.user = known;
      return true;
    }
    await super.canActivate(context);
    if (token && request.user) this.remember(token, request.user);
    return true;
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

  private remember(token: string, user: AuthenticatedUser): void {
    const ttl = user.tokenExpiresAt - Date.now();
    if (ttl > 0) this.verified.set(token, user, { ttl });
  }
}
