import { isNumber, ValidateBy, type ValidationArguments } from 'class-validator';
import { isWholeCents } from '../money';

export const MAX_PRICE = 1_000_000_000;

/**
 * The first thing wrong with a price, or undefined. One rule with one message: separate @IsNumber,
 * @Min and @Max each judged the string "129.99" and answered three contradictory messages.
 */
export function priceProblem(value: unknown): string | undefined {
  if (!isNumber(value, { allowNaN: false, allowInfinity: false })) return 'must be a number';
  // Not class-validator's maxDecimalPlaces: it reads the digits after a "." and threw on 1e-7 (a 500).
  if (!isWholeCents(value)) return 'must be a number with at most 2 decimals';
  if (value < 0) return 'must not be less than 0';
  if (value > MAX_PRICE) return `must not be greater than ${MAX_PRICE}`;
  return undefined;
}

/** A JSON number from 0 to MAX_PRICE with at most 2 decimals. */
export const IsPrice = () =>
  ValidateBy({
    name: 'isPrice',
    validator: {
      validate: (value: unknown) => priceProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? 'price'} ${priceProblem(args?.value) ?? 'is not a valid price'}`,
    },
  });
