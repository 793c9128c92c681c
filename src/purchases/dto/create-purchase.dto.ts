import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';

export const MAX_PURCHASE_QUANTITY = 10_000;
/** What an omitted `quantity` means. */
export const DEFAULT_PURCHASE_QUANTITY = 1;

export class CreatePurchaseDto {
  @ApiPropertyOptional({
    example: 1,
    minimum: 1,
    default: DEFAULT_PURCHASE_QUANTITY,
    description: 'At most the sale maxPerUser',
  })
  // Omitted means 1; an explicit null is as invalid as any other non-integer.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_PURCHASE_QUANTITY)
  quantity?: number;
}
