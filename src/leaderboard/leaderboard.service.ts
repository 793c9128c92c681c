import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { SingleFlight } from '../common/concurrency/single-flight';
import { PurchaseRecordsService, type LeaderboardRow } from '../purchases/purchase-records.service';
import { SalesService } from '../sales/sales.service';
import type { LeaderboardQueryDto } from './dto/leaderboard-query.dto';
import type { LeaderboardDto, LeaderboardEntryDto } from './dto/leaderboard.dto';

/** Rows in line order from position `skip` on, with their ranks (1 = the first accepted purchase). */
const toEntries = (rows: LeaderboardRow[], skip: number): LeaderboardEntryDto[] =>
  rows.map((row, index) => ({
    rank: skip + index + 1,
    username: row.username,
    quantity: row.quantity,
    purchasedAt: row.purchasedAt!,
  }));

@Injectable()
export class LeaderboardService {
  private readonly pageReads = new SingleFlight<string>();

  constructor(
    private readonly purchases: PurchaseRecordsService,
    private readonly sales: SalesService,
  ) {}

  /**
   * Buyers in the order the database accepted their purchases (each purchase's place in line), as the
   * JSON text of the answer. Identical concurrent requests (a crowd refreshing page 1) share one pair of
   * queries and its text: serialising 50 rows per request was a third of the leaderboard's CPU under a
   * crowd (docs/performance.md). The text is what Fastify's default serializer (JSON.stringify) would send.
   */
  forSaleAsJson(saleId: string, query: LeaderboardQueryDto): Promise<string> {
    return this.pageReads.run(`${saleId}:${query.page}:${query.limit}`, async () =>
      JSON.stringify(await this.readPage(saleId, query)),
    );
  }

  private async readPage(saleId: string, query: LeaderboardQueryDto): Promise<LeaderboardDto> {
    const id = new Types.ObjectId(saleId);
    const skip = query.skip;
    // The sale's own counter (live, as on GET /sales/:id): one indexed read, where summing the
    // purchases would read every buyer's record. It also answers SALE_NOT_FOUND.
    const [sale, rows, total] = await Promise.all([
      this.sales.get(saleId),
      this.purchases.leaderboardPage(id, skip, query.limit),
      this.purchases.countConfirmed(id),
    ]);
    return {
      saleId,
      total,
      unitsSold: sale.soldQuantity,
      page: query.page,
      limit: query.limit,
      items: toEntries(rows, skip),
    };
  }

  /** Up to `limit` entries ranked after `rank`, for the live stream (which knows the sale exists). */
  async entriesAfter(saleId: string, rank: number, limit: number): Promise<LeaderboardEntryDto[]> {
    const rows = await this.purchases.leaderboardPage(new Types.ObjectId(saleId), rank, limit);
    return toEntries(rows, rank);
  }

  /** How many buyers the leaderboard has now (the last rank). */
  buyerCount(saleId: string): Promise<number> {
    return this.purchases.countConfirmed(new Types.ObjectId(saleId));
  }

  /** Units bought by the buyers on the leaderboard now (their purchases' quantities). */
  unitsListed(saleId: string): Promise<number> {
    return this.purchases.sumConfirmedUnits(new Types.ObjectId(saleId));
  }
}
