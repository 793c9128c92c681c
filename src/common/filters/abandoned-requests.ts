import { Logger } from '@nestjs/common';
import type { ApiErrorBody } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

const logger = new Logger('Requests');
const SUMMARY_INTERVAL_MS = 60_000;

let unreported = 0;
let lastReportAt = -Infinity;

/**
 * Whether the client went away before its request was read whole (a body abandoned half-way): Node
 * fails the body's stream with `aborted` (ECONNRESET), and Fastify hands that on as a 400 error.
 * Nobody is left to answer; it is the client's doing, not the service's.
 */
export function isAbandonedByClient(error: unknown): boolean {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  return code === 'ECONNRESET' && typeof statusCode === 'number';
}

export const ABANDONED_BODY: ApiErrorBody = {
  statusCode: 400,
  code: ErrorCode.MALFORMED_REQUEST,
  message: 'The request body was not sent whole',
};

/**
 * One debug line, without a stack, at most once a minute with the count since the last one: 1,000
 * aborted logins wrote 284 KiB of error stacks in 3 s before.
 */
export function noteAbandoned(now = Date.now()): void {
  unreported += 1;
  if (now - lastReportAt < SUMMARY_INTERVAL_MS) return;
  logger.debug(`${unreported} request(s) abandoned by the client before the body was read whole`);
  unreported = 0;
  lastReportAt = now;
}
