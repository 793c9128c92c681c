import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { Public } from '../common/decorators/public.decorator';
import {
  ApiErrors,
  BODY_ERRORS,
  DATABASE_ERRORS,
} from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ThrottleScope } from '../common/throttling/throttle-scope.decorator';
import type { PublicUser } from '../users/users.service';
import { AuthService, type AuthResult } from './auth.service';
import type { AuthenticatedUser } from './authenticated-user';
import { AuthResponseDto, UserDto } from './dto/auth-responses.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  // A token in a shared or browser cache is a token anyone with that cache can use.
  @Header('Cache-Control', 'no-store')
  @Public()
  @ThrottleScope('auth')
  @Post('register')
  @ApiOperation({ summary: 'Register a buyer account (role user) and get a token' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [409, ErrorCode.USER_EXISTS],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...BODY_ERRORS,
    ...DATABASE_ERRORS,
  )
  register(@Body() dto: RegisterDto): Promise<AuthResult> {
    return this.auth.register(dto);
  }

  @Header('Cache-Control', 'no-store')
  @Public()
  @ThrottleScope('auth')
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password and get a token' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrors(
    [400, ErrorCode.VALIDATION_FAILED],
    [401, ErrorCode.INVALID_CREDENTIALS],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    ...BODY_ERRORS,
    ...DATABASE_ERRORS,
  )
  login(@Body() dto: LoginDto): Promise<AuthResult> {
    return this.auth.login(dto);
  }

  @Header('Cache-Control', 'no-store')
  @ApiBearerAuth()
  @Get('me')
  @ApiOperation({ summary: 'The account behind the bearer token' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors([401, ErrorCode.UNAUTHORIZED], [429, ErrorCode.TOO_MANY_REQUESTS], ...DATABASE_ERRORS)
  me(@CurrentUser() user: AuthenticatedUser): Promise<PublicUser> {
    return this.auth.me(user.id);
  }
}
