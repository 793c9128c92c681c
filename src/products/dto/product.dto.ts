import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/dto/page.dto';

export class ProductDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  id: string;

  @ApiProperty({ example: 'Limited sneakers' })
  name: string;

  @ApiProperty({ example: 'Only 100 pairs' })
  description: string;

  @ApiProperty({ example: 129.99 })
  price: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

export class ProductPageDto extends PageDto(ProductDto, 'ProductPageDto') {}
