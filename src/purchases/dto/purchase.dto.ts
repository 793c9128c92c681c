import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/dto/page.dto';

export class PurchaseDto {
  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d5555' })
  id: string;

  @ApiProperty({ example: '665f1c2e9b1e8a3f4c0d9876' })
  saleId: string;

  @ApiProperty({ example: 'alice_01' })
  username: string;

  @ApiProperty({ example: 1 })
  quantity: number;

  @ApiProperty({ type: String, format: 'date-time' })
  purchasedAt: Date;
}

export class MyPurchaseDto extends PurchaseDto {
  @ApiProperty({ example: 'Black Friday drop' })
  saleName: string;

  @ApiProperty({ example: 'Limited sneakers' })
  productName: string;
}

export class MyPurchasePageDto extends PageDto(MyPurchaseDto, 'MyPurchasePageDto') {}
