import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { AccessTokenClaims, AuthenticatedUser } from '../authenticated-user';
import { JWT_SECRET_KEY } from '../jwt-secret';

/**
 * Trusts the signed claims and does no database read per request: a flash sale's hot path cannot afford
 * one. The price is that a role change takes effect at the token's expiry (JWT_EXPIRES_IN).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(@Inject(JWT_SECRET_KEY) secret: KeyObject) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands this to jsonwebtoken, which accepts a KeyObject; its types only list strings.
      secretOrKey: secret as unknown as string,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(claims: Required<AccessTokenClaims>): AuthenticatedUser {
    return {
      id: claims.sub,
      username: claims.username,
      role: claims.role,
      tokenExpiresAt: claims.exp * 1000,
    };
  }
}
