import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/dto/page.dto';
import { SALE_STATUSES, type SaleStatus } from '../schemas/sale.schema';

export class SaleProductDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  id: string;

  @ApiProperty({ example: 'Limited sneakers' })
  name: string;

  @ApiProperty({ example: 129.99 })
  price: number;
}

export class SaleDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d9876' })
  id: string;

  @ApiProperty({ example: 'Black Friday drop' })
  name: string;

  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d1234' })
  productId: string;

  @ApiProperty({ type: SaleProductDto })
  product: SaleProductDto;

  @ApiProperty({ type: String, format: 'date-time' })
  startTime: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endTime: Date | null;

  @ApiProperty({ example: 100 })
  totalQuantity: number;

  @ApiProperty({ example: 42, description: 'Live: read from the database on every request' })
  remainingQuantity: number;

  @ApiProperty({ example: 58 })
  soldQuantity: number;

  @ApiProperty({ example: 1 })
  maxPerUser: number;

  @ApiProperty({
    enum: SALE_STATUSES,
    description: 'As of this response, whatever the scheduler did',
  })
  status: SaleStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  activatedAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

export class SalePageDto extends PageDto(SaleDto, 'SalePageDto') {}
