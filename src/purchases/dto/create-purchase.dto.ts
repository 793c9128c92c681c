import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class CreatePurchaseDto {
  @ApiPropertyOptional({ example: 1, minimum: 1, default: 1, description: 'At most the sale maxPerUser' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity?: number;
}
