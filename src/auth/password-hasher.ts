import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as bcrypt from 'bcrypt';
import type { EnvironmentVariables } from '../config/env.validation';

/** bcrypt with a configurable cost; the native binding hashes on libuv's thread pool, off the event loop. */
@Injectable()
export class PasswordHasher {
  private readonly rounds: number;
  /** Compared against when the email is unknown, so both answers take the same time. */
  private readonly decoy: Promise<string>;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.rounds = config.get('BCRYPT_ROUNDS', { infer: true });
    this.decoy = bcrypt.hash('decoy-password-never-matches', this.rounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? (await this.decoy));
    return matches && hash !== undefined;
  }
}
