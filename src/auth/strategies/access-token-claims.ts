import { ROLES, type Role } from '../../users/schemas/user.schema';
import type { AuthenticatedUser } from '../authenticated-user';

const USER_ID = /^[0-9a-f]{24}$/;

/**
 * The bearer of a signature-checked token, or undefined when its claims are not ones this service
 * issues: `exp` a number (a token without one would never expire), `sub` a 24-hex user id (anything
 * else broke /auth/me or let one person buy as several "users"), `role` one we know, `username` a string.
 */
export function verifiedClaims(claims: unknown): AuthenticatedUser | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, username, role, exp } = claims as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  if (typeof sub !== 'string' || !USER_ID.test(sub)) return undefined;
  if (typeof username !== 'string' || !ROLES.includes(role as Role)) return undefined;
  return { id: sub, username, role: role as Role, tokenExpiresAt: exp * 1000 };
}
