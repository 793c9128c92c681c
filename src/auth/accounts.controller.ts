import { Controller, Delete, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator';
import { ApiErrors, DATABASE_ERRORS } from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ParseObjectIdPipe } from '../common/pipes/parse-object-id.pipe';
import { AuthService } from './auth.service';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('users')
export class AccountsController {
  constructor(private readonly auth: AuthService) {}

  // The account is disabled, not erased: its purchases stay in the ledger and on leaderboards.
  @Roles('admin')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Disable a buyer account: no login, and its tokens are refused at once (admin)',
  })
  @ApiNoContentResponse({ description: 'Disabled (also when it already was)' })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [401, ErrorCode.UNAUTHORIZED],
    [403, ErrorCode.FORBIDDEN],
    [404, ErrorCode.NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...DATABASE_ERRORS,
  )
  disable(@Param('id', ParseObjectIdPipe) userId: string): Promise<void> {
    return this.auth.disableAccount(userId);
  }
}
