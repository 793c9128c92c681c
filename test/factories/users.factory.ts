import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from '../support/test-app';

let sequence = 0;

export interface TestUser {
  id: string;
  username: string;
  email: string;
  token: string;
}

export function buildRegistration(
  overrides: Partial<Record<'username' | 'email' | 'password', string>> = {},
) {
  sequence += 1;
  const tag = `${process.pid}_${sequence}`;
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.test`,
    password: 'password-123',
    ...overrides,
  };
}

export async function registerUser(
  app: NestFastifyApplication,
  overrides: Parameters<typeof buildRegistration>[0] = {},
): Promise<TestUser> {
  const registration = buildRegistration(overrides);
  const response = await http(app).post('/api/auth/register').send(registration).expect(201);
  const body = response.body as { user: { id: string }; accessToken: string };
  return {
    id: body.user.id,
    username: registration.username,
    email: registration.email,
    token: body.accessToken,
  };
}

/** Registers `count` users, a few at a time (bcrypt runs on a small thread pool). */
export async function registerUsers(
  app: NestFastifyApplication,
  count: number,
): Promise<TestUser[]> {
  const users: TestUser[] = [];
  for (let start = 0; start < count; start += 25) {
    const batch = Array.from({ length: Math.min(25, count - start) }, () => registerUser(app));
    users.push(...(await Promise.all(batch)));
  }
  return users;
}
