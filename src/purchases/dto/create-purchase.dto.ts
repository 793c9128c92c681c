import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

export class CreatePurchaseDto {
  @ApiPropertyOptional({
    example: 1,
    minimum: 1,
    default: 1,
    description: 'At most the sale maxPerUser',
  })
  // Omitted means 1; an explicit null is as invalid as any other non-integer.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity?: number;
}
