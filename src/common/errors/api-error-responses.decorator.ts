import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from './error-codes';
import { ERROR_EXAMPLES } from './error-examples';

export class ErrorResponseDto {
  @ApiProperty({ description: 'The HTTP status, repeated' })
  statusCode: number;

  @ApiProperty({ enum: Object.values(ErrorCode), description: 'Stable; switch on it' })
  code: ErrorCode;

  @ApiProperty({ description: 'For people; may change' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Validation problems per field, the remaining stock, the existing purchase, ...',
  })
  details?: Record<string, unknown>;
}

export type DocumentedError = [status: number, code: ErrorCode];

/** Answered by fastify before any handler on every route that takes a JSON body. */
export const BODY_ERRORS: DocumentedError[] = [
  [400, ErrorCode.INVALID_JSON],
  [413, ErrorCode.PAYLOAD_TOO_LARGE],
  [415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
];

/** Any route that reads or writes the database answers 503 while it is unreachable. */
export const DATABASE_ERRORS: DocumentedError[] = [[503, ErrorCode.DATABASE_UNAVAILABLE]];

/**
 * Documents each (status, code) pair a route can answer with: one response per status, and under it one
 * named example per code with that code's own status and message, so Swagger UI and collection runners
 * show what a client really receives.
 */
export function ApiErrors(...errors: DocumentedError[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [status, code] of errors) {
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) byStatus.set(status, [...codes, code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, codes]) =>
      ApiResponse({
        status,
        type: ErrorResponseDto,
        description: `code: ${codes.map((code) => `\`${code}\``).join(' | ')}`,
        examples: Object.fromEntries(
          codes.map((code) => {
            const { message, details } = ERROR_EXAMPLES[code];
            const value = { statusCode: status, code, message, ...(details ? { details } : {}) };
            return [code, { summary: code, value }];
          }),
        ),
      }),
    ),
  );
}
