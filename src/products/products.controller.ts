import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PaginationQueryDto, type Page } from '../common/dto/pagination-query.dto';
import { Public } from '../common/decorators/public.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { ApiErrors } from '../common/errors/api-error-responses.decorator';
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
  @ApiCreatedResponse({ type: ProductDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [401, ErrorCode.UNAUTHORIZED],
    [403, ErrorCode.FORBIDDEN],
    [429, ErrorCode.TOO_MANY_REQUESTS],
  )
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.products.create(dto);
  }

  @Public()
  @Get()
  @ApiOkResponse({ type: ProductPageDto })
  @ApiErrors([400, ErrorCode.VALIDATION_FAILED], [429, ErrorCode.TOO_MANY_REQUESTS])
  list(@Query() query: PaginationQueryDto): Promise<Page<ProductDto>> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @ApiOkResponse({ type: ProductDto })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.PRODUCT_NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
  )
  get(@Param('id', ParseObjectIdPipe) id: string): Promise<ProductDto> {
    return this.products.get(id);
  }
}
