import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';

/** What a refused waiter is told to wait before trying again. */
export const RETRY_AFTER_SECONDS = 1;

function retryLater(code: ErrorCode, message: string): ApiError {
  const error = new ApiError(HttpStatus.SERVICE_UNAVAILABLE, code, message);
  error.retryAfterSeconds = RETRY_AFTER_SECONDS;
  return error;
}

export const queueFull = () =>
  retryLater(
    ErrorCode.ADMISSION_QUEUE_FULL,
    'Too many buyers are waiting for this sale; please try again in a moment',
  );

export const waitExpired = () =>
  retryLater(
    ErrorCode.ADMISSION_WAIT_EXPIRED,
    'Your attempt waited too long for its turn; please try again in a moment',
  );

/** The client is gone: nobody reads this answer, but the attempt ends with nothing kept. */
export const clientGone = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.PURCHASE_NOT_COMPLETED,
    'The purchase could not be completed and nothing was kept; please try again',
  );
