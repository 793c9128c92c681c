import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PaginationQueryDto, type Page } from '../common/dto/pagination-query.dto';
import { Public } from '../common/decorators/public.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import {
  ApiErrors,
  BODY_ERRORS,
  DATABASE_ERRORS,
} from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ParseObjectIdPipe } from '../common/pipes/parse-object-id.pipe';
import { CreateProductDto } from './dto/create-product.dto';
import { ProductDto, ProductPageDto } from './dto/product.dto';
import { ProductsService } from './products.service';

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @ApiBearerAuth()
  @Roles('admin')
  @Post()
  @ApiOperation({ summary: 'Create a product (admin)' })
  @ApiCreatedResponse({ type: ProductDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [401, ErrorCode.UNAUTHORIZED],
    [403, ErrorCode.FORBIDDEN],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...BODY_ERRORS,
    ...DATABASE_ERRORS,
  )
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.products.create(dto);
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'List products, newest first, one page at a time' })
  @ApiOkResponse({ type: ProductPageDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  list(@Query() query: PaginationQueryDto): Promise<Page<ProductDto>> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @ApiOperation({ summary: 'One product' })
  @ApiOkResponse({ type: ProductDto })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.PRODUCT_NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  get(@Param('id', ParseObjectIdPipe) id: string): Promise<ProductDto> {
    return this.products.get(id);
  }
}
