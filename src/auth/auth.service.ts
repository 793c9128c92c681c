import { HttpStatus, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiError } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { UsersService, type PublicUser } from '../users/users.service';
import type { AccessTokenClaims } from './authenticated-user';
import type { LoginDto } from './dto/login.dto';
import type { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher';

export interface AuthResult {
  user: PublicUser;
  accessToken: string;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
    private readonly jwt: JwtService,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResult> {
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
}
