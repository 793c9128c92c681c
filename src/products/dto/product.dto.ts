import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageDto } from '../../common/dto/page.dto';

export class ProductDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  id: string;

  @ApiProperty({ example: 'Limited sneakers' })
  name: string;

  @ApiPropertyOptional({
    example: 'Only 100 pairs',
    description: 'Absent when the product has none',
  })
  description?: string;

  @ApiProperty({ example: 129.99 })
  price: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

export class ProductPageDto extends PageDto(ProductDto, 'ProductPageDto') {}
