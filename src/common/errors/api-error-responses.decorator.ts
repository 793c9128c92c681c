import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from './error-codes';

export class ErrorResponseDto {
  @ApiProperty({ example: 409 })
  statusCode: number;

  @ApiProperty({ enum: Object.values(ErrorCode), example: ErrorCode.SOLD_OUT })
  code: ErrorCode;

  @ApiProperty({ example: 'The sale is sold out' })
  message: string;

  @ApiPropertyOptional({ description: 'Validation problems per field, or the existing purchase' })
  details?: unknown;
}

/** Documents each (status, code) pair a route can answer with, grouped per status in Swagger. */
export function ApiErrors(...errors: Array<[status: number, code: ErrorCode]>) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [status, code] of errors)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, codes]) =>
      ApiResponse({
        status,
        type: ErrorResponseDto,
        description: `code: ${codes.map((code) => `\`${code}\``).join(' | ')}`,
      }),
    ),
  );
}
