import { SetMetadata } from '@nestjs/common';

export const THROTTLE_SCOPE_KEY = 'throttleScope';

/**
 * `auth`: register and login share one budget per IP (THROTTLE_AUTH_LIMIT).
 * `purchase`: purchase attempts share one budget per user across sales (THROTTLE_PURCHASE_LIMIT).
 * Unscoped routes get THROTTLE_LIMIT per route per user (or IP).
 */
export type ThrottleScope = 'auth' | 'purchase';

export const ThrottleScope = (scope: ThrottleScope) => SetMetadata(THROTTLE_SCOPE_KEY, scope);
