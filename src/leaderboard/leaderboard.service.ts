import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { SingleFlight } from '../common/concurrency/single-flight';
import { notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { PurchaseRecordsService } from '../purchases/purchase-records.service';
import { SaleSnapshotCache } from '../sales/sale-snapshot.cache';
import type { LeaderboardQueryDto } from './dto/leaderboard-query.dto';
import type { LeaderboardDto } from './dto/leaderboard.dto';

@Injectable()
export class LeaderboardService {
  private readonly pageReads = new SingleFlight<LeaderboardDto>();

  constructor(
    private readonly purchases: PurchaseRecordsService,
    private readonly snapshots: SaleSnapshotCache,
  ) {}

  /**
   * Buyers in the order the database accepted their purchases (each purchase's place in line).
   * Identical concurrent requests (a crowd refreshing page 1) share one pair of queries.
   */
  forSale(saleId: string, query: LeaderboardQueryDto): Promise<LeaderboardDto> {
    return this.pageReads.run(`${saleId}:${query.page}:${query.limit}`, () =>
      this.readPage(saleId, query),
    );
  }

  private async readPage(saleId: string, query: LeaderboardQueryDto): Promise<LeaderboardDto> {
    if (!(await this.snapshots.get(saleId)))
      throw notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
    const id = new Types.ObjectId(saleId);
    const skip = query.skip;
    const [rows, total] = await Promise.all([
      this.purchases.leaderboardPage(id, skip, query.limit),
      this.purchases.countConfirmed(id),
    ]);
    return {
      saleId,
      total,
      page: query.page,
      limit: query.limit,
      items: rows.map((row, index) => ({
        rank: skip + index + 1,
        username: row.username,
        quantity: row.quantity,
        purchasedAt: row.purchasedAt!,
      })),
    };
  }
}
