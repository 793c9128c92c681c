import { Controller, Get, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectConnection } from '@nestjs/mongoose';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConnectionStates, type Connection } from 'mongoose';
import { Public } from '../common/decorators/public.decorator';
import { ApiErrors } from '../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../common/errors/error-codes';
import { ThrottleScope } from '../common/throttling/throttle-scope.decorator';
import {
  healthDetails,
  type EnvironmentVariables,
  type HealthDetailMode,
} from '../config/env.validation';
import type { DatabaseInfo } from '../database/database-info';
import { DATABASE_INFO } from '../database/database-info.provider';
import { isLocalCaller } from './local-caller';

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] })
  status: 'ok' | 'degraded';

  @ApiProperty({ enum: ['up', 'down'] })
  database: 'up' | 'down';

  @ApiPropertyOptional({
    example: 'mongodb-memory-server 7.0.24, replica set, transactions on',
    description:
      'Only for callers HEALTH_DETAILS allows (default: this machine, none in production)',
  })
  engine?: string;
}

const PING_TIMEOUT_MS = 2_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly details: HealthDetailMode;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(DATABASE_INFO) private readonly info: DatabaseInfo,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.details = healthDetails({
      HEALTH_DETAILS: config.get('HEALTH_DETAILS', { infer: true }),
      NODE_ENV: config.get('NODE_ENV', { infer: true }),
    });
  }

  @Public()
  @ThrottleScope('health')
  @Get()
  @ApiOperation({ summary: 'Liveness and database reachability (never throttled)' })
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database does not answer' })
  @ApiErrors([429, ErrorCode.TOO_MANY_REQUESTS])
  async check(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthDto> {
    const up = await this.ping();
    if (!up) void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    const health: HealthDto = { status: up ? 'ok' : 'degraded', database: up ? 'up' : 'down' };
    // The engine, version and topology help an attacker more than an anonymous prober needs them.
    if (this.showsDetailsTo(request)) health.engine = this.info.engine;
    return health;
  }

  private showsDetailsTo(request: FastifyRequest): boolean {
    if (this.details !== 'local') return this.details === 'all';
    return isLocalCaller(request.socket.remoteAddress, request.headers['x-forwarded-for']);
  }

  private async ping(): Promise<boolean> {
    if (this.connection.readyState !== ConnectionStates.connected || !this.connection.db)
      return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    const ping = this.connection.db
      .admin()
      .ping()
      .then(() => true)
      .catch(() => false);
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
