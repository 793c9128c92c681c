import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { IsPrice, MAX_PRICE } from './is-price.decorator';

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

  @ApiProperty({
    example: 129.99,
    minimum: 0,
    maximum: MAX_PRICE,
    description: 'A JSON number (not a string), at most 2 decimals',
  })
  @IsPrice()
  price: number;
}
