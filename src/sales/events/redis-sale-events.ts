import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LocalSaleEvents } from './local-sale-events';
import { SALE_EVENT_KINDS, type SaleEvent } from './sale-events';

interface WireEvent extends SaleEvent {
  /** The publishing instance: it delivered the event locally already and skips its own echo. */
  origin: string;
}

const SUBSCRIBE_WAIT_MS = 1_000;
const KINDS = new Set<string>(SALE_EVENT_KINDS);

function parse(message: string): WireEvent | null {
  try {
    const value = JSON.parse(message) as Partial<WireEvent>;
    const valid =
      typeof value.origin === 'string' &&
      typeof value.saleId === 'string' &&
      typeof value.kind === 'string' &&
      KINDS.has(value.kind) &&
      (value.revision === undefined || Number.isSafeInteger(value.revision));
    return valid ? (value as WireEvent) : null;
  } catch {
    return null;
  }
}

/**
 * Every instance's subscribers, through one Redis channel. A publish is delivered locally at once and
 * published for the others; each instance ignores its own echo (by instance id), so a local subscriber
 * hears an event exactly once and still hears it while Redis is down. The publishing connection has no
 * offline queue: during an outage a publish fails at once and is dropped (RedisConnections logs the
 * outage once). The subscribing connection queues and re-subscribes when Redis is back.
 */
export class RedisSaleEvents
  extends LocalSaleEvents
  implements OnModuleInit, OnApplicationShutdown
{
  readonly instanceId = randomUUID();
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    super();
  }

  /** Waits a moment for the subscription, so a booted instance hears events; never blocks boot for long. */
  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = parse(message);
      if (event && event.origin !== this.instanceId) {
        this.deliver({ saleId: event.saleId, kind: event.kind, revision: event.revision });
      }
    });
    // Queued while Redis is away; ioredis re-subscribes by itself after a reconnect.
    const subscribed = this.subscriber.subscribe(this.channel).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS)));
    await Promise.race([subscribed, bound]);
    clearTimeout(timer);
  }

  override publish(event: SaleEvent): void {
    super.publish(event);
    if (this.closed) return;
    const wire: WireEvent = { ...event, origin: this.instanceId };
    this.publisher.publish(this.channel, JSON.stringify(wire)).catch(() => undefined);
  }

  /** Late publishes (a sweep finishing during shutdown) must not hit a closing connection. */
  onApplicationShutdown(): void {
    this.closed = true;
  }
}
