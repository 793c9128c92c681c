import type { Role } from '../users/schemas/user.schema';

/** What a verified access token says about its bearer; set as `request.user` by the JWT strategy. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: Role;
  /** When the bearer's token expires (ms since epoch). */
  tokenExpiresAt: number;
}

export interface AccessTokenClaims {
  sub: string;
  username: string;
  role: Role;
  /** Set by jsonwebtoken from JWT_EXPIRES_IN when signing (seconds since epoch); required on verify. */
  exp?: number;
}
