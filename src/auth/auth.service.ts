import { HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { ApiError, conflict, notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { UsersService, type PublicUser } from '../users/users.service';
import type { AccessTokenClaims } from './authenticated-user';
import type { LoginDto } from './dto/login.dto';
import type { RegisterDto } from './dto/register.dto';
import type { EnvironmentVariables } from '../config/env.validation';
import { AccountRevocations } from './account-revocations';
import { PasswordHasher } from './password-hasher';
import { reservedUsernames } from './reserved-usernames';

export interface AuthResult {
  user: PublicUser;
  accessToken: string;
}

@Injectable()
export class AuthService {
  private readonly reserved: ReadonlySet<string>;

  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    private readonly jwt: JwtService,
    config: ConfigService<EnvironmentVariables, true>,
    private readonly revocations: AccountRevocations,
  ) {
    this.reserved = reservedUsernames(config.get('ADMIN_USERNAME', { infer: true }));
  }

  async register(dto: RegisterDto): Promise<AuthResult> {
    // The same answer as a taken name: to a client, a reserved name is one that exists.
    if (this.reserved.has(dto.username.toLowerCase())) {
      throw conflict(ErrorCode.USER_EXISTS, 'This username is reserved; choose another');
    }
    const user = await this.users.create({
      username: dto.username,
      email: dto.email,
      passwordHash: await this.passwords.hash(dto.password),
      role: 'user',
    });
    return { user, accessToken: await this.signFor(user) };
  }

  async login(dto: LoginDto): Promise<AuthResult> {
    const found = await this.users.findCredentialsByEmail(dto.email);
    // Always run the KDF so an unknown email takes as long as a wrong password.
    const valid = await this.passwords.verify(dto.password, found?.passwordHash);
    if (!found || !valid) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.INVALID_CREDENTIALS,
        'Email or password is wrong',
      );
    }
    const { passwordHash: _hash, ...user } = found;
    return { user, accessToken: await this.signFor(user) };
  }

  async me(userId: string): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, 'User no longer exists');
    }
    return user;
  }

  signFor(user: Pick<PublicUser, 'id' | 'username' | 'role'>): Promise<string> {
    const claims: AccessTokenClaims = { sub: user.id, username: user.username, role: user.role };
    // jsonwebtoken adds `exp` from JWT_EXPIRES_IN; the strategy rejects tokens without one.
    return this.jwt.signAsync(claims);
  }

  /** Shuts a buyer out: no login, and every token refused on every instance from now on. */
  async disableAccount(userId: string): Promise<void> {
    if (!(await this.users.disable(userId))) {
      throw notFound(ErrorCode.NOT_FOUND, 'No buyer account has this id');
    }
    this.revocations.revoke(userId);
  }
}
