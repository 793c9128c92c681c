import { ValidateBy, type ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_CHARACTERS = 8;
/** bcrypt reads at most 72 bytes: anything after them would be silently ignored. */
export const PASSWORD_MAX_BYTES = 72;

export const PASSWORD_RULE =
  `must have at least ${PASSWORD_MIN_CHARACTERS} characters and at most ${PASSWORD_MAX_BYTES} bytes ` +
  'in UTF-8, must not be only whitespace, and must not contain a NUL character or a lone surrogate';

/** Login checks what bcrypt could not tell apart; the length floor and blank check are register's. */
export const LOGIN_PASSWORD_RULE =
  `must not be empty, must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt reads no more), ` +
  'and must not contain a NUL character or a lone surrogate';

/** With the u flag a surrogate pair is one code point: only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What bcrypt would read as something else than what was typed: more than 72 bytes (the rest is
 * ignored, so any suffix would match), a NUL (it stops there, so NULs match ""), a lone surrogate
 * (UTF-8 encoding turns every one into U+FFFD, so they all match each other).
 */
function unreadableByBcrypt(value: string): boolean {
  return (
    Buffer.byteLength(value, 'utf8') > PASSWORD_MAX_BYTES ||
    value.includes('\u0000') ||
    LONE_SURROGATE.test(value)
  );
}

/**
 * Why bytes, NUL and surrogates: see unreadableByBcrypt. Refusing them is the honest answer;
 * pre-hashing would change every stored hash.
 */
export function passwordProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return PASSWORD_RULE;
  const characters = [...value].length;
  if (characters < PASSWORD_MIN_CHARACTERS) return PASSWORD_RULE;
  if (unreadableByBcrypt(value) || value.trim() === '') return PASSWORD_RULE;
  return undefined;
}

/**
 * Login refuses what no account could have been registered with since the 72-byte rule (register and
 * ADMIN_PASSWORD follow it), so a 72-byte password plus any suffix no longer logs in.
 */
export function loginPasswordProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || unreadableByBcrypt(value)) {
    return LOGIN_PASSWORD_RULE;
  }
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

export function IsLoginPassword(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLoginPassword',
      validator: {
        validate: (value: unknown) => loginPasswordProblem(value) === undefined,
        defaultMessage: () => `password ${LOGIN_PASSWORD_RULE}`,
      },
    },
    options,
  );
}
