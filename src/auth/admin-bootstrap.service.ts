import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { ApiError } from '../common/errors/api-error';
import type { EnvironmentVariables } from '../config/env.validation';
import { normalizeEmail, UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';

/** The marker of the one account this service creates itself (see User.systemKey). */
export const BOOTSTRAP_ADMIN = 'bootstrap-admin';

/**
 * Ensures the operator's admin account (ADMIN_EMAIL + ADMIN_PASSWORD) exists, found by its marker, not by
 * a name or email someone else could have registered first. Nothing users did can stop the boot: when
 * the email is taken by a user the admin is not created (that user is never promoted) and the log says
 * which variable to change; when only the username is taken, the admin gets a suffixed one.
 */
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
    if (!email || !password) return;
    try {
      await this.ensureAdmin(email, password);
    } catch (error) {
      this.logger.error(
        `The admin account could not be ensured (${error instanceof Error ? error.message : String(error)}); ` +
          'the service runs on, and tries again at the next start',
      );
    }
  }

  async ensureAdmin(email: string, password: string): Promise<void> {
    const marked = await this.users.findBySystemKey(BOOTSTRAP_ADMIN);
    if (marked) {
      if (marked.email !== normalizeEmail(email)) {
        this.logger.warn(
          `The admin account is ${marked.email}; ADMIN_EMAIL (${email}) only names the admin created ` +
            'on first start and is not applied to an existing one',
        );
      }
      return;
    }
    const holder = await this.users.findByEmail(email);
    if (holder?.role === 'admin') {
      // Made by a version before markers: adopt it.
      await this.users.setSystemKey(holder.id, BOOTSTRAP_ADMIN);
      return;
    }
    if (holder) {
      this.logger.error(
        `ADMIN_EMAIL ${email} already belongs to a regular account, which is never promoted; no admin ` +
          'was created. Set ADMIN_EMAIL to an address nobody has registered and restart.',
      );
      return;
    }
    await this.createAdmin(email, password);
  }

  private async createAdmin(email: string, password: string): Promise<void> {
    const wanted = this.config.get('ADMIN_USERNAME', { infer: true });
    const username = (await this.users.isUsernameTaken(wanted))
      ? `${wanted.slice(0, 23)}-${randomBytes(4).toString('hex')}`
      : wanted;
    if (username !== wanted) {
      this.logger.warn(
        `ADMIN_USERNAME '${wanted}' is taken by a regular account; the admin is created as '${username}'. ` +
          'Set ADMIN_USERNAME to a free name before the first start to choose it.',
      );
    }
    try {
      await this.users.create({
        username,
        email,
        passwordHash: await this.passwords.hash(password),
        role: 'admin',
        systemKey: BOOTSTRAP_ADMIN,
      });
      this.logger.log(`Created admin ${email} (${username})`);
    } catch (error) {
      // Another instance booting at the same moment made it: that is the same outcome.
      if (error instanceof ApiError && (await this.users.findBySystemKey(BOOTSTRAP_ADMIN))) return;
      throw error;
    }
  }
}
