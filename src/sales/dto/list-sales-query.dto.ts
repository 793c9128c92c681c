import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PaginationQueryDto } from '../../common/dto/pagination-query.dto';
import { SALE_STATUSES, type SaleStatus } from '../schemas/sale.schema';

export class ListSalesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: SALE_STATUSES, description: 'The status as of now' })
  @IsOptional()
  @IsIn(SALE_STATUSES)
  status?: SaleStatus;
}
