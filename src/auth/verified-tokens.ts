import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AccountRevocations } from './account-revocations';
import type { AuthenticatedUser } from './authenticated-user';

const BEARER = /^Bearer (\S+)$/;

/** The token of an `Authorization: Bearer <token>` header, or undefined for anything else. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];

/**
 * Tokens this process has verified (signature, claims: the JWT strategy), remembered until they expire,
 * keyed by the whole token string (signature included, so nothing unverified can match). In a flash
 * sale the same buyers send the same token again and again, and verification was the largest single
 * cost of a refused purchase. The JWT guard fills it; the purchase fast lane only reads it.
 */
@Injectable()
export class VerifiedTokens {
  private readonly verified = new LRUCache<string, AuthenticatedUser>({ max: 50_000 });

  constructor(private readonly revocations: AccountRevocations) {}

  /** A disabled account's token is unknown here, so the JWT strategy judges it (and refuses it). */
  userOf(token: string | undefined): AuthenticatedUser | undefined {
    const user = token === undefined ? undefined : this.verified.get(token);
    return user && this.revocations.isRevoked(user.id) ? undefined : user;
  }

  remember(token: string, user: AuthenticatedUser): void {
    const ttl = user.tokenExpiresAt - Date.now();
    if (ttl > 0) this.verified.set(token, user, { ttl });
  }
}
