import { HttpStatus } from '@nestjs/common';
import { ApiError, conflict } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import type { PurchaseBlock } from '../sales/sale-state';
import type { StoredSale } from '../sales/schemas/sale.schema';
import type { PurchaseDto } from './dto/purchase.dto';

const BLOCK_MESSAGES: Record<PurchaseBlock, string> = {
  SALE_NOT_STARTED: 'The sale has not started yet',
  SALE_ENDED: 'The sale has ended',
  SOLD_OUT: 'The sale is sold out',
  INSUFFICIENT_STOCK: 'Fewer units are left than you asked for',
};

/** What a client needs to act on each refusal: when to come back, or how many units it can still ask for. */
function blockDetails(block: PurchaseBlock, sale: StoredSale): object | undefined {
  if (block === 'INSUFFICIENT_STOCK') return { remainingQuantity: sale.remainingQuantity };
  if (block === 'SALE_NOT_STARTED') return { startTime: sale.startTime.toISOString() };
  return undefined;
}

export function blockedPurchase(block: PurchaseBlock, sale: StoredSale): ApiError {
  return conflict(ErrorCode[block], BLOCK_MESSAGES[block], blockDetails(block, sale));
}

export const alreadyPurchased = (purchase: PurchaseDto | { inProgress: true }) =>
  conflict(
    ErrorCode.ALREADY_PURCHASED,
    'You already bought in this sale; purchases are final',
    purchase,
  );

export const quantityLimitExceeded = (maxPerUser: number) =>
  new ApiError(
    HttpStatus.BAD_REQUEST,
    ErrorCode.QUANTITY_LIMIT_EXCEEDED,
    `At most ${maxPerUser} unit(s) per buyer in this sale`,
    { maxPerUser },
  );

/** The attempt could not be completed; nothing was kept, and trying again is safe. */
export const purchaseNotCompleted = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.PURCHASE_NOT_COMPLETED,
    'The purchase could not be completed and nothing was kept; please try again',
  );
