import { SetMetadata } from '@nestjs/common';

export const THROTTLE_SCOPE_KEY = 'throttleScope';

/**
 * `auth`: register and login share one budget per IP (THROTTLE_AUTH_LIMIT).
 * `purchase`: purchase attempts, one budget per user per sale (THROTTLE_PURCHASE_LIMIT), so trying two
 * sales by hand is not blocked by the first.
 * `health`: GET /health per IP (THROTTLE_HEALTH_LIMIT), generous for probes.
 * Unscoped routes get THROTTLE_LIMIT per route per user (or IP).
 */
export type ThrottleScope = 'auth' | 'purchase' | 'health';

export const ThrottleScope = (scope: ThrottleScope) => SetMetadata(THROTTLE_SCOPE_KEY, scope);
