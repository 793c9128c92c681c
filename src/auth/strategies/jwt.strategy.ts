import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { EnvironmentVariables } from '../../config/env.validation';
import { AccountRevocations } from '../account-revocations';
import type { AuthenticatedUser } from '../authenticated-user';
import { JWT_SECRET_KEY } from '../jwt-secret';
import { verifiedClaims } from './access-token-claims';

/**
 * Trusts the signed claims and does no database read per request: a flash sale's hot path cannot afford
 * one. The price is that a role change takes effect at the token's expiry (JWT_EXPIRES_IN); a disabled
 * account is refused at once from memory (AccountRevocations).
 * jsonwebtoken checks the signature, `alg` (HS256 only), `exp` when present, `iss` and `aud`; the
 * claims check then refuses what it lets through (no `exp`, a `sub` that is not a user id, a role we
 * do not know), so no correctly signed oddity becomes a user.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(JWT_SECRET_KEY) secret: KeyObject,
    config: ConfigService<EnvironmentVariables, true>,
    private readonly revocations: AccountRevocations,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands this to jsonwebtoken, which accepts a KeyObject; its types only list strings.
      secretOrKey: secret as unknown as string,
      algorithms: ['HS256'],
      issuer: config.get('JWT_ISSUER', { infer: true }),
      audience: config.get('JWT_AUDIENCE', { infer: true }),
      ignoreExpiration: false,
    });
  }

  /** passport treats `false` as "not authenticated": the guard answers 401 UNAUTHORIZED. */
  validate(claims: unknown): AuthenticatedUser | false {
    const user = verifiedClaims(claims);
    return user && !this.revocations.isRevoked(user.id) ? user : false;
  }
}
