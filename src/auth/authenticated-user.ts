import type { Role } from '../users/schemas/user.schema';

/** What a verified access token says about its bearer; set as `request.user` by the JWT strategy. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: Role;
}

export interface AccessTokenClaims {
  sub: string;
  username: string;
  role: Role;
}
