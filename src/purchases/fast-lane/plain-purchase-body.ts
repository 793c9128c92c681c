import { DEFAULT_PURCHASE_QUANTITY, MAX_PURCHASE_QUANTITY } from '../dto/create-purchase.dto';

/**
 * The quantity of a body that CreatePurchaseDto's validation certainly accepts as it is: `{}` or
 * `{"quantity": n}` with n a whole number in range. Anything else is undefined: the ValidationPipe
 * judges it on the ordinary path, so a doubtful body never gets a different answer here.
 */
export function plainPurchaseQuantity(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  if (keys.length === 0) return DEFAULT_PURCHASE_QUANTITY;
  if (keys.length !== 1 || keys[0] !== 'quantity') return undefined;
  const { quantity } = body as { quantity: unknown };
  return typeof quantity === 'number' &&
    Number.isInteger(quantity) &&
    quantity >= 1 &&
    quantity <= MAX_PURCHASE_QUANTITY
    ? quantity
    : undefined;
}
