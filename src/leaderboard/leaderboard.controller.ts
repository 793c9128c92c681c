import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrors, DATABASE_ERRORS } from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ParseObjectIdPipe } from '../common/pipes/parse-object-id.pipe';
import { LeaderboardQueryDto } from './dto/leaderboard-query.dto';
import { LeaderboardDto } from './dto/leaderboard.dto';
import { LeaderboardService } from './leaderboard.service';

@ApiTags('leaderboard')
@Controller('sales')
export class LeaderboardController {
  constructor(private readonly leaderboard: LeaderboardService) {}

  @Public()
  @Get(':id/leaderboard')
  @ApiOperation({ summary: 'Buyers of a sale in the order their purchases were accepted' })
  @ApiOkResponse({ type: LeaderboardDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.SALE_NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  @Header('Content-Type', 'application/json; charset=utf-8')
  forSale(
    @Param('id', ParseObjectIdPipe) saleId: string,
    @Query() query: LeaderboardQueryDto,
  ): Promise<string> {
    return this.leaderboard.forSaleAsJson(saleId, query); // a LeaderboardDto, already serialised
  }
}
