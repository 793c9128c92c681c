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

export const alreadyPurchased = (purchase: PurchaseDto) =>
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

/** Seconds a client waits after an unknown outcome: long enough for a lost connection to come back. */
export const OUTCOME_UNKNOWN_RETRY_SECONDS = 2;

/**
 * The database could not tell, within a few lookups, whether the purchase was kept. A retry answers
 * it: ALREADY_PURCHASED with the purchase if it exists, PURCHASE_IN_PROGRESS while its record is
 * unsettled, else a fresh attempt.
 */
export const purchaseOutcomeUnknown = () =>
  new ApiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.PURCHASE_OUTCOME_UNKNOWN,
    'We could not tell whether your purchase was kept; retry after the Retry-After seconds: if it was, the retry answers ALREADY_PURCHASED with it',
  ).retryAfter(OUTCOME_UNKNOWN_RETRY_SECONDS);

/**
 * The buyer's earlier attempt in this sale has a record that is not settled yet: its attempt is
 * running (a double click), or it died and the reconciler settles it by `settledBy`. Neither a
 * purchase nor a refusal; a retry after `seconds` hears which.
 */
export const purchaseInProgress = (settledBy: Date, seconds: number) =>
  conflict(
    ErrorCode.PURCHASE_IN_PROGRESS,
    'Your earlier attempt in this sale is not settled yet; retry after the Retry-After seconds',
    { inProgress: true, settledBy: settledBy.toISOString() },
  ).retryAfter(seconds);
