import { ApiProperty } from '@nestjs/swagger';

/** Deliberately minimal: no email, no user id, no internal ids. */
export class LeaderboardEntryDto {
  @ApiProperty({ example: 1, description: '1 = the first accepted purchase; global across pages' })
  rank: number;

  @ApiProperty({ example: 'alice_01' })
  username: string;

  @ApiProperty({ example: 1 })
  quantity: number;

  @ApiProperty({ type: String, format: 'date-time' })
  purchasedAt: Date;
}

export class LeaderboardDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d9876' })
  saleId: string;

  @ApiProperty({ example: 100, description: 'Number of buyers' })
  total: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ type: [LeaderboardEntryDto] })
  items: LeaderboardEntryDto[];
}
