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

/** Bodies longer than this are left to the parser: `{"quantity":10000}` is 19 bytes. */
const SMALL_BODY_BYTES = 64;

/**
 * Whether the request sends a small JSON body plainly: the JSON content type, a content length of at
 * most SMALL_BODY_BYTES, no transfer or content encoding. Anything else goes to the parser untouched.
 */
export function plainlySentJson(headers: Record<string, string | string[] | undefined>): boolean {
  const type = headers['content-type'];
  const length = Number(headers['content-length']);
  return (
    typeof type === 'string' &&
    /^application\/json(?:; ?charset=utf-8)?$/i.test(type) &&
    Number.isInteger(length) &&
    length > 0 &&
    length <= SMALL_BODY_BYTES &&
    headers['transfer-encoding'] === undefined &&
    headers['content-encoding'] === undefined
  );
}

/** The whole (small) body as bytes. */
export function readSmallBody(payload: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    payload.on('data', (chunk: Buffer) => chunks.push(chunk));
    payload.on('end', () => resolve(Buffer.concat(chunks)));
    payload.on('error', reject);
  });
}

// JSON whitespace only, one optional "quantity" key, a whole number without sign, leading zero or exponent.
const EXACT_BODY =
  /^[ \t\n\r]*\{[ \t\n\r]*(?:"quantity"[ \t\n\r]*:[ \t\n\r]*(0|[1-9][0-9]{0,5})[ \t\n\r]*)?\}[ \t\n\r]*$/;

/**
 * The body as the parser would hand it on, when the text is exactly `{}` or `{"quantity": n}`; else
 * undefined (a duplicate key, another field, a string: the parser and the ValidationPipe judge those).
 */
export function exactPurchaseBody(bytes: Buffer): object | undefined {
  const match = EXACT_BODY.exec(bytes.toString('latin1'));
  if (!match) return undefined;
  return match[1] === undefined ? {} : { quantity: Number(match[1]) };
}
