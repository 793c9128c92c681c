import { ErrorCode } from './error-codes';

/**
 * What each code's answer looks like, for the OpenAPI examples. The messages are the ones the service
 * sends (test/openapi.e2e-spec.ts compares several with real answers); ids and numbers are samples.
 */
export const ERROR_EXAMPLES: Record<ErrorCode, { message: string; details?: unknown }> = {
  VALIDATION_FAILED: {
    message: 'The request is not valid',
    details: { email: ['email must be an email'] },
  },
  INVALID_ID: { message: "'abc' is not a valid id" },
  INVALID_JSON: { message: 'The body is not valid JSON' },
  JSON_TOO_DEEP: { message: 'The JSON body is nested deeper than 32 levels' },
  INVALID_URL: { message: 'The path is not valid percent-encoding' },
  MALFORMED_REQUEST: { message: 'The request is not valid HTTP' },
  HOST_REQUIRED: { message: 'An HTTP/1.1 request must have a Host header' },
  EXPECTATION_FAILED: { message: 'Only `Expect: 100-continue` is understood' },
  METHOD_NOT_ALLOWED: { message: 'DELETE is not allowed here; use GET, HEAD' },
  REQUEST_TIMEOUT: { message: 'The request did not arrive in time' },
  URI_TOO_LONG: { message: 'A path segment is longer than 100 characters' },
  HEADERS_TOO_LARGE: { message: 'The request headers are too large' },
  UNSUPPORTED_MEDIA_TYPE: { message: 'Only application/json bodies are accepted' },
  PAYLOAD_TOO_LARGE: { message: 'Request body is too large' },
  UNAUTHORIZED: { message: 'Missing or invalid bearer token' },
  INVALID_CREDENTIALS: { message: 'Email or password is wrong' },
  FORBIDDEN: { message: 'Your role may not do this' },
  NOT_FOUND: { message: 'Route GET:/api/nowhere not found' },
  USER_EXISTS: { message: 'A user with this username or email already exists' },
  PRODUCT_NOT_FOUND: { message: 'Product not found' },
  SALE_NOT_FOUND: { message: 'Sale not found' },
  SALE_CLOSED: { message: 'The sale is sold out' },
  SALE_NOT_STARTED: {
    message: 'The sale has not started yet',
    details: { startTime: '2026-11-27T09:00:00.000Z' },
  },
  SALE_ENDED: { message: 'The sale has ended' },
  SOLD_OUT: { message: 'The sale is sold out' },
  INSUFFICIENT_STOCK: {
    message: 'Fewer units are left than you asked for',
    details: { remainingQuantity: 2 },
  },
  ALREADY_PURCHASED: {
    message: 'You already bought in this sale; purchases are final',
    details: {
      id: '665f1c2e9b1e8a3f4c0d5555',
      saleId: '665f1c2e9b1e8a3f4c0d9876',
      username: 'alice_01',
      quantity: 1,
      purchasedAt: '2026-11-27T09:00:00.120Z',
    },
  },
  QUANTITY_LIMIT_EXCEEDED: {
    message: 'At most 1 unit(s) per buyer in this sale',
    details: { maxPerUser: 1 },
  },
  PURCHASE_NOT_COMPLETED: {
    message: 'The purchase could not be completed and nothing was kept; please try again',
  },
  PURCHASE_OUTCOME_UNKNOWN: {
    message:
      'We could not tell whether your purchase was kept; retry after the Retry-After seconds: if it was, the retry answers ALREADY_PURCHASED with it',
  },
  PURCHASE_IN_PROGRESS: {
    message:
      'Your earlier attempt in this sale is not settled yet; retry after the Retry-After seconds',
    details: { inProgress: true, settledBy: '2026-11-27T09:00:35.120Z' },
  },
  ADMISSION_QUEUE_FULL: {
    message: 'Too many buyers are waiting for this sale; please try again in a moment',
  },
  ADMISSION_WAIT_EXPIRED: {
    message: 'Your attempt waited too long for its turn; please try again in a moment',
  },
  CONFLICT: { message: 'The resource already exists' },
  TOO_MANY_REQUESTS: { message: 'Too many requests, slow down' },
  TOO_MANY_STREAMS: { message: 'Too many live streams open from your address; close one first' },
  STREAMS_AT_CAPACITY: { message: 'This server has no room for another live stream; retry later' },
  DATABASE_UNAVAILABLE: { message: 'The database is unavailable, try again' },
  SHUTTING_DOWN: { message: 'This instance is shutting down; retry on another or in a moment' },
  INTERNAL_ERROR: { message: 'Internal server error' },
};
