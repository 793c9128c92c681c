import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiErrorBody } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

/** What a client is told to wait before retrying: a restart or another instance takes about this long. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

const SHUTTING_DOWN: ApiErrorBody = {
  statusCode: 503,
  code: ErrorCode.SHUTTING_DOWN,
  message: 'This instance is shutting down; retry on another or in a moment',
};

/**
 * Requests that arrive while the server closes (on a kept-alive connection, or pipelined) are refused in
 * the API's error shape. Fastify's own refusal (`return503OnClosing`) writes `{"error":"Service
 * Unavailable"}`, which no client of this API switches on; the server options turn it off and this gate
 * answers instead, from the onRequest hook every route already has, so it costs one boolean per request.
 */
export class ShutdownGate {
  private closing = false;

  constructor(instance: FastifyInstance) {
    // preClose runs as soon as close() starts, before the server stops accepting connections.
    instance.addHook('preClose', (done) => {
      this.closing = true;
      done();
    });
  }

  /** True when it has answered (the request must go no further). */
  refused(reply: FastifyReply): boolean {
    if (!this.closing) return false;
    void reply
      .code(503)
      .header('retry-after', String(SHUTDOWN_RETRY_AFTER_SECONDS))
      .header('connection', 'close')
      .send(SHUTTING_DOWN);
    return true;
  }
}
