import { ValidateBy, type ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_CHARACTERS = 8;
/** bcrypt reads at most 72 bytes: anything after them would be silently ignored. */
export const PASSWORD_MAX_BYTES = 72;

export const PASSWORD_RULE =
  `must have at least ${PASSWORD_MIN_CHARACTERS} characters and at most ${PASSWORD_MAX_BYTES} bytes ` +
  'in UTF-8, must not be only whitespace, and must not contain a NUL character';

/**
 * Why bytes and NUL: bcrypt hashes the first 72 bytes and stops at a NUL, so a longer password or one
 * with a NUL would match more than the user typed (an all-NUL password matches ""). Refusing them is
 * the honest answer; pre-hashing would change every stored hash.
 */
export function passwordProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return PASSWORD_RULE;
  const characters = [...value].length;
  if (characters < PASSWORD_MIN_CHARACTERS) return PASSWORD_RULE;
  if (Buffer.byteLength(value, 'utf8') > PASSWORD_MAX_BYTES) return PASSWORD_RULE;
  if (value.includes('\u0000') || value.trim() === '') return PASSWORD_RULE;
  return undefined;
}

export function IsBcryptSafePassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBcryptSafePassword',
      validator: {
        validate: (value: unknown) => passwordProblem(value) === undefined,
        defaultMessage: () => `password ${PASSWORD_RULE}`,
      },
    },
    options,
  );
}
