import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Page } from '../common/dto/pagination-query.dto';
import { Public } from '../common/decorators/public.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import {
  ApiErrors,
  BODY_ERRORS,
  DATABASE_ERRORS,
  type DocumentedError,
} from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ParseObjectIdPipe } from '../common/pipes/parse-object-id.pipe';
import { CreateSaleDto } from './dto/create-sale.dto';
import { ListSalesQueryDto } from './dto/list-sales-query.dto';
import { SaleDto, SalePageDto } from './dto/sale.dto';
import { SalesService } from './sales.service';

const adminErrors: DocumentedError[] = [
  [401, ErrorCode.UNAUTHORIZED],
  [403, ErrorCode.FORBIDDEN],
  [429, ErrorCode.TOO_MANY_REQUESTS],
  ...DATABASE_ERRORS,
];

@ApiTags('sales')
@Controller('sales')
export class SalesController {
  constructor(private readonly sales: SalesService) {}

  @ApiBearerAuth()
  @Roles('admin')
  @Post()
  @ApiOperation({ summary: 'Schedule a sale of a product (admin)' })
  @ApiCreatedResponse({ type: SaleDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [404, ErrorCode.PRODUCT_NOT_FOUND],
    ...adminErrors,
    ...BODY_ERRORS,
  )
  create(@Body() dto: CreateSaleDto): Promise<SaleDto> {
    return this.sales.create(dto);
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'List sales, newest first, optionally by status as of now' })
  @ApiOkResponse({ type: SalePageDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  list(@Query() query: ListSalesQueryDto): Promise<Page<SaleDto>> {
    return this.sales.list(query);
  }

  @Public()
  @Get(':id')
  @ApiOperation({ summary: 'One sale with its live stock and status' })
  @ApiOkResponse({ type: SaleDto })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.SALE_NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  get(@Param('id', ParseObjectIdPipe) id: string): Promise<SaleDto> {
    return this.sales.get(id);
  }

  @ApiBearerAuth()
  @Roles('admin')
  @Post(':id/activate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Open a scheduled sale now (admin)' })
  @ApiOkResponse({ type: SaleDto, description: 'Open now; a no-op on an active sale' })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.SALE_NOT_FOUND],
    [409, ErrorCode.SALE_CLOSED],
    ...adminErrors,
  )
  activate(@Param('id', ParseObjectIdPipe) id: string): Promise<SaleDto> {
    return this.sales.activate(id);
  }
}
