import { HttpException, HttpStatus } from '@nestjs/common';
import type { ErrorCode } from './error-codes';

export interface ApiErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * An HTTP error that carries a stable `code`; the global filter renders it as-is. These are expected
 * answers (most requests in a flash sale are refusals), so no stack trace is captured: it would cost
 * more than the rest of the refusal and nobody reads it.
 */
export class ApiError extends HttpException {
  /** Sent as `Retry-After` (seconds) by the exception filter: a busy service says when to come back. */
  retryAfterSeconds?: number;

  constructor(status: HttpStatus, code: ErrorCode, message: string, details?: unknown) {
    const body: ApiErrorBody = { statusCode: status, code, message };
    if (details !== undefined) body.details = details;
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(body, status);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

  get body(): ApiErrorBody {
    return this.getResponse() as ApiErrorBody;
  }
}

export const notFound = (code: ErrorCode, message: string) =>
  new ApiError(HttpStatus.NOT_FOUND, code, message);
export const conflict = (code: ErrorCode, message: string, details?: unknown) =>
  new ApiError(HttpStatus.CONFLICT, code, message, details);
export const badRequest = (code: ErrorCode, message: string, details?: unknown) =>
  new ApiError(HttpStatus.BAD_REQUEST, code, message, details);
