import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import cluster from 'node:cluster';
import { ApiError } from '../../common/errors/api-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { sseMaxClients, type EnvironmentVariables } from '../../config/env.validation';
import { PrimaryStreamQuota } from './primary-stream-quota';
import type { SseConnection } from './sse-connection';
import { StreamQuota, type QuotaRefusal, type StreamHolder } from './stream-quota';

/** What counts a holder's streams: this process's own, or the cluster primary's. */
export interface QuotaKeeper {
  take(holder: StreamHolder): QuotaRefusal | null | Promise<QuotaRefusal | null>;
  giveBack(holder: StreamHolder): void;
}

/** Lifetimes are spread over their last tenth, so streams opened together do not all reconnect together. */
const LIFETIME_SPREAD = 0.1;
/** The `retry:` sent at a lifetime's end: EventSource reconnects after 1 to 5 s, spread as well. */
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_SPREAD_MS = 4_000;

/** One admitted stream's place: given back once, when the stream closes. */
export class StreamTicket {
  private released = false;
  private lifetime: NodeJS.Timeout | undefined;

  constructor(
    private readonly lifetimeMs: number,
    private readonly onRelease: () => void,
  ) {}

  /** Ends the stream when its lifetime is over, telling EventSource to reconnect. */
  limitLifetime(connection: SseConnection): void {
    const ms = this.lifetimeMs * (1 - LIFETIME_SPREAD * Math.random());
    this.lifetime = setTimeout(() => {
      connection.endForReconnect(
        RECONNECT_MIN_MS + Math.round(RECONNECT_SPREAD_MS * Math.random()),
      );
    }, ms);
    this.lifetime.unref();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.lifetime);
    this.onRelease();
  }
}

/**
 * Whether another live stream may open, so that streams can never take the connections the API needs:
 * at most SSE_MAX_CLIENTS per process (at most half of MAX_CONNECTIONS, checked at boot), at most
 * SSE_MAX_CLIENTS_PER_ADDRESS per address and SSE_MAX_CLIENTS_PER_USER per user (when a valid token came)
 * per service instance, counted by the cluster primary when there is one, and none longer than
 * SSE_MAX_LIFETIME_MS.
 */
@Injectable()
export class StreamAdmission {
  private open = 0;
  private stopped = false;
  private readonly maxOpen: number;
  private readonly lifetimeMs: number;
  private readonly quota: QuotaKeeper;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.maxOpen = sseMaxClients({
      SSE_MAX_CLIENTS: config.get('SSE_MAX_CLIENTS', { infer: true }),
      MAX_CONNECTIONS: config.get('MAX_CONNECTIONS', { infer: true }),
    });
    this.lifetimeMs = config.get('SSE_MAX_LIFETIME_MS', { infer: true });
    const limits = {
      perAddress: config.get('SSE_MAX_CLIENTS_PER_ADDRESS', { infer: true }),
      perUser: config.get('SSE_MAX_CLIENTS_PER_USER', { infer: true }),
    };
    this.quota = cluster.isWorker ? new PrimaryStreamQuota() : new StreamQuota(limits);
  }

  get openStreams(): number {
    return this.open;
  }

  /** The service is stopping: no stream is admitted any more. */
  stop(): void {
    this.stopped = true;
  }

  async admit(holder: StreamHolder): Promise<StreamTicket> {
    if (this.stopped || this.open >= this.maxOpen) throw atCapacity();
    // Taken before waiting on the quota, so that admissions in flight cannot overshoot the cap.
    this.open += 1;
    let refusal: QuotaRefusal | null;
    try {
      refusal = await this.quota.take(holder);
    } catch {
      this.open -= 1;
      throw atCapacity();
    }
    if (refusal) {
      this.open -= 1;
      throw tooManyStreams(refusal);
    }
    return new StreamTicket(this.lifetimeMs, () => {
      this.open -= 1;
      this.quota.giveBack(holder);
    });
  }
}

const atCapacity = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.STREAMS_AT_CAPACITY,
    'This server has no room for another live stream; retry later',
  );

const tooManyStreams = (refusal: QuotaRefusal) =>
  new ApiError(
    HttpStatus.TOO_MANY_REQUESTS,
    ErrorCode.TOO_MANY_STREAMS,
    refusal === 'address'
      ? 'Too many live streams open from your address; close one first'
      : 'Too many live streams open for your account; close one first',
  );
