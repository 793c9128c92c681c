import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrorBody } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';
import { FixedWindowThrottlerStorage } from '../throttling/fixed-window-throttler.storage';
import { budgetAddressOf } from './request-identity';

const TOO_MANY: ApiErrorBody = {
  statusCode: 429,
  code: ErrorCode.TOO_MANY_REQUESTS,
  message: 'Too many requests, slow down',
};

/**
 * A budget per IP for what Nest's throttler guard never sees because no controller runs: unknown
 * routes, wrong methods, Swagger UI and the OpenAPI download. Same O(1) fixed-window counter.
 */
export class EdgeThrottle {
  private readonly storage = new FixedWindowThrottlerStorage();

  constructor(
    private readonly ttlMs: number,
    private readonly limit: number,
  ) {}

  /** True when the request may go on; otherwise the 429 has been sent. */
  async admit(bucket: string, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const key = `${bucket}:${budgetAddressOf(request)}`;
    const record = await this.storage.increment(key, this.ttlMs, this.limit, this.ttlMs, bucket);
    if (!record.isBlocked) return true;
    void reply
      .code(429)
      .header('retry-after', String(Math.max(1, record.timeToBlockExpire)))
      .send(TOO_MANY);
    return false;
  }

  close(): void {
    this.storage.onModuleDestroy();
  }
}
