/**
 * Names nobody may register: they read as the operator. The configured ADMIN_USERNAME is added at run
 * time, so the admin's name cannot be taken before the operator sets ADMIN_EMAIL and ADMIN_PASSWORD.
 */
const ALWAYS_RESERVED = [
  'admin',
  'administrator',
  'root',
  'system',
  'superuser',
  'support',
  'operator',
];

export function reservedUsernames(adminUsername: string): ReadonlySet<string> {
  return new Set([...ALWAYS_RESERVED, adminUsername.toLowerCase()]);
}
