import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { EnvironmentVariables } from '../config/env.validation';

export interface ConnectionOptions {
  /**
   * Queue commands while disconnected (a subscriber: ioredis re-subscribes on reconnect). Off for
   * request-path commands, which must fail at once so the caller can fall back instead of waiting.
   */
  queueWhileOffline?: boolean;
}

/** `redis://user:secret@host:6379/2` -> `redis://host:6379/2`: logs never carry the password. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}

/**
 * The optional shared store (REDIS_URL). Hands out one connection per purpose, reports an outage in one
 * log line and the recovery in another, and closes everything at shutdown. Redis is never the judge of
 * a purchase: whatever uses it must keep working, degraded, while it is down.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly url: string | undefined;
  private readonly prefix: string;
  private readonly clients: Redis[] = [];
  private down = false;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.url = config.get('REDIS_URL', { infer: true });
    this.prefix = config.get('REDIS_PREFIX', { infer: true });
  }

  /** A pub/sub channel name under REDIS_PREFIX (keys get the prefix from the connection itself). */
  channel(name: string): string {
    return `${this.prefix}${name}`;
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  get available(): boolean {
    return this.enabled && !this.down;
  }

  /** A new connection, or null when no REDIS_URL is set. Its keys get REDIS_PREFIX. */
  open(purpose: string, options: ConnectionOptions = {}): Redis | null {
    if (!this.url) return null;
    const client = new Redis(this.url, {
      connectionName: `flash-sale:${purpose}`,
      keyPrefix: this.prefix,
      enableOfflineQueue: options.queueWhileOffline ?? false,
      maxRetriesPerRequest: options.queueWhileOffline ? null : 1,
      connectTimeout: 2_000,
      commandTimeout: options.queueWhileOffline ? undefined : 1_000,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
    });
    client.on('error', (error: Error) => this.reportDown(error));
    client.on('ready', () => this.reportUp());
    this.clients.push(client);
    return client;
  }

  private reportDown(error: Error): void {
    if (this.down) return;
    this.down = true;
    this.logger.error(
      `Redis at ${redactRedisUrl(this.url!)} is unreachable (${error.message}): rate limits fall back to ` +
        'per-instance counters and sale events reach only this instance until it is back; purchases are unaffected',
    );
  }

  private reportUp(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log('Redis is reachable again: shared rate limits and sale events resume');
  }

  /**
   * QUIT when connected, but never wait on it for long: on a connection that is down, a queueing one
   * (a subscriber) would hold QUIT in its offline queue forever and shutdown with it.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clients.map((client) => closeClient(client)));
  }
}

async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const quit = client.quit().then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([quit, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
  }
  client.disconnect();
}
