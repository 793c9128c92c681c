import { Transform } from 'class-transformer';
import { isISO8601 } from 'class-validator';

/** A date-time with a zone ("Z" or "+02:00"), so that one string means one instant everywhere. */
const ISO_WITH_ZONE = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Turns an ISO-8601 date-time string into a Date. Anything else (numbers, objects, local times) becomes
 * an Invalid Date, which the @IsDate() that must follow rejects with a validation error.
 */
export function ToIsoDate() {
  return Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    return typeof raw === 'string' && isISO8601(raw, { strict: true }) && ISO_WITH_ZONE.test(raw)
      ? new Date(raw)
      : new Date(NaN);
  });
}
