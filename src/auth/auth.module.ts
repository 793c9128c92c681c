import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import type { EnvironmentVariables } from '../config/env.validation';
import { UsersModule } from '../users/users.module';
import { AccountRevocations } from './account-revocations';
import { AccountsController } from './accounts.controller';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtKeyModule } from './jwt-key.module';
import { JWT_SECRET_KEY, toExpiresIn } from './jwt-secret';
import { PasswordHasher } from './password-hasher';
import { JwtStrategy } from './strategies/jwt.strategy';
import { VerifiedTokens } from './verified-tokens';

@Module({
  imports: [
    UsersModule,
    PassportModule,
    JwtKeyModule,
    JwtModule.registerAsync({
      imports: [JwtKeyModule],
      inject: [JWT_SECRET_KEY, ConfigService],
      useFactory: (secret: KeyObject, config: ConfigService<EnvironmentVariables, true>) => ({
        // @nestjs/jwt passes the secret straight to jsonwebtoken, which accepts a KeyObject.
        secret: secret as unknown as string,
        signOptions: {
          algorithm: 'HS256',
          expiresIn: toExpiresIn(config.get('JWT_EXPIRES_IN', { infer: true })),
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
        verifyOptions: {
          algorithms: ['HS256'],
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
      }),
    }),
  ],
  controllers: [AuthController, AccountsController],
  providers: [
    AuthService,
    PasswordHasher,
    JwtStrategy,
    AdminBootstrapService,
    VerifiedTokens,
    AccountRevocations,
  ],
  exports: [JwtKeyModule, JwtModule, VerifiedTokens],
})
export class AuthModule {}
