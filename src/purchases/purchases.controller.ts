import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { clientGoneSignal } from '../admission/client-gone';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { PaginationQueryDto, type Page } from '../common/dto/pagination-query.dto';
import {
  ApiErrors,
  BODY_ERRORS,
  DATABASE_ERRORS,
} from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ParseObjectIdPipe } from '../common/pipes/parse-object-id.pipe';
import { ThrottleScope } from '../common/throttling/throttle-scope.decorator';
import { CreatePurchaseDto, DEFAULT_PURCHASE_QUANTITY } from './dto/create-purchase.dto';
import { MyPurchaseDto, MyPurchasePageDto, PurchaseDto } from './dto/purchase.dto';
import { PurchasesService } from './purchases.service';

@ApiTags('purchases')
@ApiBearerAuth()
@Controller()
export class PurchasesController {
  constructor(private readonly purchases: PurchasesService) {}

  // Buyers only: the operator's admin account creates and opens sales, it does not compete in them.
  @Roles('user')
  @ThrottleScope('purchase')
  @Post('sales/:id/purchase')
  @ApiOperation({ summary: 'Buy in a sale (at most once per buyer)' })
  @ApiCreatedResponse({ type: PurchaseDto, description: 'Durable and counted' })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [400, ErrorCode.INVALID_ID],
    [400, ErrorCode.QUANTITY_LIMIT_EXCEEDED],
    [401, ErrorCode.UNAUTHORIZED],
    [403, ErrorCode.FORBIDDEN],
    [404, ErrorCode.SALE_NOT_FOUND],
    [409, ErrorCode.SALE_NOT_STARTED],
    [409, ErrorCode.SALE_ENDED],
    [409, ErrorCode.SOLD_OUT],
    [409, ErrorCode.INSUFFICIENT_STOCK],
    [409, ErrorCode.ALREADY_PURCHASED],
    [409, ErrorCode.PURCHASE_IN_PROGRESS],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    [503, ErrorCode.PURCHASE_NOT_COMPLETED],
    [503, ErrorCode.PURCHASE_OUTCOME_UNKNOWN],
    [503, ErrorCode.ADMISSION_QUEUE_FULL],
    [503, ErrorCode.ADMISSION_WAIT_EXPIRED],
    ...BODY_ERRORS,
    ...DATABASE_ERRORS,
  )
  purchase(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseObjectIdPipe) saleId: string,
    @Body() dto: CreatePurchaseDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PurchaseDto> {
    const quantity = dto.quantity ?? DEFAULT_PURCHASE_QUANTITY;
    return this.purchases.purchase(user, saleId, quantity, clientGoneSignal(reply));
  }

  @Get('purchases/me')
  @ApiOperation({ summary: "The caller's purchases, newest first, one page at a time" })
  @ApiOkResponse({ type: MyPurchasePageDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [401, ErrorCode.UNAUTHORIZED],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  mine(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<MyPurchaseDto>> {
    return this.purchases.myPurchases(user.id, query);
  }
}
