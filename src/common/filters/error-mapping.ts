import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { ApiError, type ApiErrorBody } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';
import { mongo } from 'mongoose';
import { TransactionGaveUp } from '../../database/transaction-runner';
import { isDuplicateKeyError } from '../errors/mongo-errors';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.UNAUTHORIZED,
  [HttpStatus.FORBIDDEN]: ErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.CONFLICT]: ErrorCode.CONFLICT,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.TOO_MANY_REQUESTS,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.DATABASE_UNAVAILABLE,
};

/**
 * Fastify's body-parser errors reach Nest's filters re-wrapped as `new HttpException(message, status)`
 * (RoutesResolver.mapExternalException), which drops fastify's error code; only the message is left.
 */
const INVALID_JSON_MESSAGE = /\bJSON\b/;

const internalError: ApiErrorBody = {
  statusCode: 500,
  code: ErrorCode.INTERNAL_ERROR,
  message: 'Internal server error',
};

/** Turns anything thrown into the one error shape; `known` is false when it deserves an error log. */
export function toErrorBody(error: unknown): { body: ApiErrorBody; known: boolean } {
  if (error instanceof ApiError) return { body: error.body, known: true };
  if (error instanceof ThrottlerException) {
    return { body: fromStatus(429, 'Too many requests, slow down'), known: true };
  }
  if (error instanceof HttpException) return { body: fromHttpException(error), known: true };
  if (isDuplicateKeyError(error)) {
    return { body: fromStatus(409, 'The resource already exists'), known: true };
  }
  if (isConnectionError(error)) {
    // Not logged per request: the outage itself is logged once (src/database/outage-reporter.ts).
    return { body: fromStatus(503, 'The database is unavailable, try again'), known: true };
  }
  return { body: internalError, known: false };
}

function fromStatus(statusCode: number, message: string): ApiErrorBody {
  return { statusCode, code: STATUS_CODES[statusCode] ?? ErrorCode.INTERNAL_ERROR, message };
}

function fromHttpException(error: HttpException): ApiErrorBody {
  const statusCode = error.getStatus();
  const response = error.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? String(response.message)
      : error.message;
  if (statusCode >= 500) return { ...internalError, statusCode };
  if (statusCode === 400 && typeof response === 'string') {
    // A re-wrapped fastify error (e.g. a body shorter than its Content-Length): not a field problem.
    return INVALID_JSON_MESSAGE.test(message)
      ? { statusCode, code: ErrorCode.INVALID_JSON, message }
      : { statusCode, code: ErrorCode.MALFORMED_REQUEST, message };
  }
  if (statusCode === 415) {
    return {
      statusCode,
      code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      message: 'Only application/json bodies are accepted',
    };
  }
  return fromStatus(statusCode, message);
}

/** Labels the driver puts on errors that say "try again": contention, failover, a lost reply. */
const RETRYABLE_LABELS = [
  'TransientTransactionError',
  'RetryableWriteError',
  'UnknownTransactionCommitResult',
];

const BACKEND_SOCKET_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

/** The database could not serve the request now (down, failing over, or too contended): a 503. */
function isConnectionError(error: unknown): boolean {
  if (error instanceof TransactionGaveUp) return true;
  if (error instanceof mongo.MongoError && RETRYABLE_LABELS.some((l) => error.hasErrorLabel(l))) {
    return true;
  }
  const { name, message, code, statusCode } = (error ?? {}) as Record<string, unknown>;
  // A socket to the database that died under a command can surface as node's own error, unwrapped by
  // the driver (seen: EPIPE "This socket has been ended by the other party" when the server was killed).
  // Client-side socket errors reach the filter with a statusCode and are not this.
  if (typeof code === 'string' && BACKEND_SOCKET_ERRORS.has(code) && statusCode === undefined) {
    return true;
  }
  if (typeof name !== 'string') return false;
  // Mongoose's own word for the same condition: no connection to send the command on.
  if (name === 'MongooseError') {
    return typeof message === 'string' && /buffering timed out|initial connection/.test(message);
  }
  return /^Mongo(Network|ServerSelection|NotConnected|Topology|PoolCleared|ServerClosed|WriteConcern|OperationTimeout)|^MongooseServerSelectionError/.test(
    name,
  );
}
