import type { ValidationError } from '@nestjs/common';
import { ApiError, badRequest } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';

/** Enough for any honest request; 6,000 unknown keys made a 262 KB answer from a 59 KB body. */
export const MAX_LISTED_PROBLEMS = 20;

/** Walks the errors, counting all problems but keeping only the first MAX_LISTED_PROBLEMS fields. */
function collect(
  errors: ValidationError[],
  parent: string,
  fields: Record<string, string[]>,
  total: { count: number },
): void {
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      total.count += 1;
      if (total.count <= MAX_LISTED_PROBLEMS) fields[path] = Object.values(error.constraints);
    }
    collect(error.children ?? [], path, fields, total);
  }
}

/** The ValidationPipe's exceptionFactory: 400 VALIDATION_FAILED, `details` per field, capped. */
export function validationFailure(errors: ValidationError[]): ApiError {
  const fields: Record<string, string[]> = {};
  const total = { count: 0 };
  collect(errors, '', fields, total);
  const message =
    total.count > MAX_LISTED_PROBLEMS
      ? `The request is not valid: ${total.count} problems, the first ${MAX_LISTED_PROBLEMS} listed`
      : 'The request is not valid';
  return badRequest(ErrorCode.VALIDATION_FAILED, message, fields);
}
