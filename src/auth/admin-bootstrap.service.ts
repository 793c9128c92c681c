import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiError } from '../common/errors/api-error';
import type { EnvironmentVariables } from '../config/env.validation';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';

/** Ensures the operator's admin account exists (ADMIN_EMAIL + ADMIN_PASSWORD) without ever duplicating it. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.get('ADMIN_EMAIL', { infer: true });
    const password = this.config.get('ADMIN_PASSWORD', { infer: true });
    if (email && password) await this.ensureAdmin(email, password);
  }

  async ensureAdmin(email: string, password: string): Promise<void> {
    const existing = await this.users.findByEmail(email);
    if (existing) {
      // Never promote an account someone else may have registered with this email.
      if (existing.role !== 'admin') {
        this.logger.error(`ADMIN_EMAIL ${email} belongs to a regular user; it was not promoted`);
      }
      return;
    }
    try {
      await this.users.create({
        username: this.config.get('ADMIN_USERNAME', { infer: true }),
        email,
        passwordHash: await this.passwords.hash(password),
        role: 'admin',
      });
      this.logger.log(`Created admin ${email}`);
    } catch (error) {
      // Another instance booting at the same moment won the unique index: that is the same outcome.
      if (error instanceof ApiError && (await this.users.findByEmail(email))) return;
      throw error;
    }
  }
}
