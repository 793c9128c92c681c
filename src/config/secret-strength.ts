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
