import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { RedisConnections } from '../redis/redis-connections';
import { UsersService } from '../users/users.service';

const USER_ID = /^[0-9a-f]{24}$/;
const SUBSCRIBE_WAIT_MS = 1_000;

/**
 * Accounts whose tokens are refused before they expire (disabled by an admin). Tokens carry their
 * claims and no request reads the database, so the refusal is a set lookup in memory: loaded from the
 * users collection at boot (one read), added to when this instance disables an account, and told to
 * every other instance through a Redis channel (REDIS_URL), so a disabled buyer is shut out everywhere
 * within a round trip. Without Redis each instance learns it at its next boot; cluster mode and
 * several instances require Redis anyway.
 */
@Injectable()
export class AccountRevocations implements OnModuleInit {
  private readonly logger = new Logger('Auth');
  private readonly revoked = new Set<string>();
  private readonly publisher: Redis | null;
  private readonly subscriber: Redis | null;
  private readonly channel: string;

  constructor(
    private readonly users: UsersService,
    connections: RedisConnections,
  ) {
    this.publisher = connections.open('revocations-pub');
    this.subscriber = connections.open('revocations-sub', { queueWhileOffline: true });
    this.channel = connections.channel('account-revocations');
  }

  async onModuleInit(): Promise<void> {
    if (this.subscriber) {
      this.subscriber.on('message', (channel: string, id: string) => {
        if (channel === this.channel && USER_ID.test(id)) this.revoked.add(id);
      });
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS)));
      await Promise.race([this.subscriber.subscribe(this.channel).catch(() => undefined), bound]);
      clearTimeout(timer);
    }
    // Not awaited: boot must not wait on a database that is away (the outage path answers 503s).
    void this.users.disabledIds().then(
      (ids) => ids.forEach((id) => this.revoked.add(id)),
      (error: Error) => this.logger.warn(`could not load disabled accounts: ${error.message}`),
    );
  }

  isRevoked(userId: string): boolean {
    return this.revoked.size > 0 && this.revoked.has(userId);
  }

  revoke(userId: string): void {
    this.revoked.add(userId);
    this.publisher?.publish(this.channel, userId).catch(() => undefined);
  }
}
