// 8, not more: 32 random hex characters (`openssl rand -hex 16`) show 9 or fewer distinct ones about once
// in 10,000 draws, and a good secret must never be refused; a repeated word such as 'password' has 7.
const MIN_DISTINCT_CHARACTERS = 8;
/** Per-character estimate: a random 32-character hex secret (128 real bits) scores ~85-125 here, so the bar sits below it. */
const MIN_ESTIMATED_BITS = 72;

/**
 * Why a secret is too weak, or undefined. The estimate is the secret's length times the Shannon entropy
 * of its own character frequencies: it catches repeats and tiny alphabets (32 spaces, 32 x "a",
 * "abab..."), not dictionary phrases, which is why the README asks for a random secret.
 */
export function secretWeakness(secret: string): string | undefined {
  const counts = new Map<string, number>();
  for (const character of secret) counts.set(character, (counts.get(character) ?? 0) + 1);
  if (secret.trim() === '') return 'it is blank';
  if (counts.size < MIN_DISTINCT_CHARACTERS) {
    return `only ${counts.size} distinct characters, at least ${MIN_DISTINCT_CHARACTERS} needed`;
  }
  const length = [...secret].length;
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const p = count / length;
    bitsPerCharacter -= p * Math.log2(p);
  }
  const bits = Math.floor(bitsPerCharacter * length);
  return bits < MIN_ESTIMATED_BITS
    ? `about ${bits} bits of entropy estimated, at least ${MIN_ESTIMATED_BITS} needed`
    : undefined;
}

/**
 * Values published where anyone can read them: this repository's .env.example and docs, jwt.io's
 * sample secret, and the project's name dressed as a secret. Compared lower-cased and trimmed.
 */
const PUBLISHED_VALUES = new Set([
  'change-me-please',
  'changeme',
  'change-me',
  'your-256-bit-secret',
  'your-256-bit-secret-your-256-bit',
  'flash-sale-jwt-secret',
  'flash-sale-jwt-secret-production',
  'flash-sale-secret',
  'password',
  'password1',
  'password123',
  'admin123',
]);

/** Keys next to each other on a keyboard row count as a step, like consecutive character codes. */
const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

const isStep = (a: string, b: string) =>
  Math.abs(a.charCodeAt(0) - b.charCodeAt(0)) === 1 ||
  KEYBOARD_ROWS.some((row) => {
    const at = row.indexOf(a);
    return at >= 0 && Math.abs(row.indexOf(b) - at) === 1;
  });

/**
 * Whether the value is a few runs of consecutive characters (`0123456789abcdef` twice, `abcd1234`,
 * `qwertyuiop`): at most one run per 4 characters. Random text starts a new run at nearly every
 * character, so no secret made by `openssl rand` comes near the bar.
 */
export function isSequence(value: string): boolean {
  const characters = [...value.toLowerCase()];
  let runs = characters.length > 0 ? 1 : 0;
  for (let i = 1; i < characters.length; i += 1) {
    if (!isStep(characters[i - 1], characters[i])) runs += 1;
  }
  return runs <= Math.ceil(characters.length / 4);
}

/** Why a value anyone could guess by name is one, or undefined: a published example, or a sequence. */
export function guessableValue(value: string): string | undefined {
  if (PUBLISHED_VALUES.has(value.trim().toLowerCase())) return 'it is a published example value';
  if (isSequence(value)) return 'it is a sequence of consecutive characters';
  return undefined;
}

/**
 * Production refuses a guessable JWT_SECRET (a forged token is an admin token) and ADMIN_PASSWORD (the
 * admin account is made from it on first boot), naming the variable. Development keeps its examples.
 */
export function guessableProductionSecret(env: {
  JWT_SECRET?: string;
  ADMIN_PASSWORD?: string;
}): string | undefined {
  for (const name of ['JWT_SECRET', 'ADMIN_PASSWORD'] as const) {
    const value = env[name];
    const guessable = value === undefined ? undefined : guessableValue(value);
    if (guessable)
      return `${name} cannot be used in production: ${guessable}; choose a value of your own`;
  }
  return undefined;
}
