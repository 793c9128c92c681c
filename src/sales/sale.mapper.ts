import { fromCents } from '../products/money';
import type { SaleDto } from './dto/sale.dto';
import { effectiveStatus } from './sale-state';
import type { StoredSale } from './schemas/sale.schema';

export function toSaleDto(sale: StoredSale, now: Date): SaleDto {
  return {
    id: sale._id.toHexString(),
    name: sale.name,
    productId: sale.productId.toHexString(),
    product: {
      id: sale.productId.toHexString(),
      name: sale.product.name,
      price: fromCents(sale.product.priceCents),
    },
    startTime: sale.startTime,
    endTime: sale.endTime ?? null,
    totalQuantity: sale.totalQuantity,
    remainingQuantity: sale.remainingQuantity,
    soldQuantity: sale.soldQuantity,
    maxPerUser: sale.maxPerUser,
    status: effectiveStatus(sale, now),
    activatedAt: sale.activatedAt ?? null,
    createdAt: sale.createdAt,
  };
}
