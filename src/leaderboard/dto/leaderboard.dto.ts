import { ApiProperty, PickType } from '@nestjs/swagger';
import { PurchaseDto } from '../../purchases/dto/purchase.dto';

/** Deliberately minimal: no email, no user id, no internal ids. */
export class LeaderboardEntryDto extends PickType(PurchaseDto, [
  'username',
  'quantity',
  'purchasedAt',
]) {
  @ApiProperty({ example: 1, description: '1 = the first accepted purchase; global across pages' })
  rank: number;
}

export class LeaderboardDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d9876' })
  saleId: string;

  @ApiProperty({ example: 100, description: 'Number of buyers (leaderboard rows over all pages)' })
  total: number;

  @ApiProperty({
    example: 130,
    description: 'Units sold in the sale (its soldQuantity); buyers may take several units each',
  })
  unitsSold: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ type: [LeaderboardEntryDto] })
  items: LeaderboardEntryDto[];
}
