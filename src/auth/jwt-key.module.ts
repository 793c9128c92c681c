import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createJwtSecretKey, JWT_SECRET_KEY } from './jwt-secret';

/** One key per process, shared by signing (JwtModule) and verifying (JwtStrategy). */
@Module({
  providers: [{ provide: JWT_SECRET_KEY, inject: [ConfigService], useFactory: createJwtSecretKey }],
  exports: [JWT_SECRET_KEY],
})
export class JwtKeyModule {}
