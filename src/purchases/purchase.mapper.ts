import type { PurchaseDto } from './dto/purchase.dto';
import type { StoredPurchase } from './schemas/purchase.schema';

export function toPurchaseDto(purchase: StoredPurchase): PurchaseDto {
  return {
    id: purchase._id.toHexString(),
    saleId: purchase.saleId.toHexString(),
    username: purchase.username,
    quantity: purchase.quantity,
    purchasedAt: purchase.purchasedAt ?? purchase.attemptedAt,
  };
}
