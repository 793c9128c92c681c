import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { HasAtMostTwoDecimals } from '../money';

export class CreateProductDto {
  @ApiProperty({ example: 'Limited sneakers', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ example: 'Only 100 pairs', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 129.99, minimum: 0, description: 'At most 2 decimals' })
  @HasAtMostTwoDecimals({ message: '$property must be a number with at most 2 decimals' })
  @Min(0)
  @Max(1_000_000_000)
  price: number;
}
