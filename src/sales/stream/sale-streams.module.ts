import { Module } from '@nestjs/common';
import { LeaderboardModule } from '../../leaderboard/leaderboard.module';
import { SalesModule } from '../sales.module';
import { SaleStreamsController } from './sale-streams.controller';
import { SaleStreams } from './sale-streams.service';
import { StreamAdmission } from './stream-admission';

/**
 * The live sale stream. Its own module because it reads the leaderboard, and LeaderboardModule
 * already imports SalesModule (SalesModule importing it back would be a cycle).
 */
@Module({
  imports: [SalesModule, LeaderboardModule],
  controllers: [SaleStreamsController],
  providers: [SaleStreams, StreamAdmission],
})
export class SaleStreamsModule {}
