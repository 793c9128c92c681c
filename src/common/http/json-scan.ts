export type JsonScanProblem =
  | { kind: 'too-deep' }
  | { kind: 'duplicate-key'; key: string }
  | { kind: 'reserved-key'; key: string };

/**
 * Keys that name what every object inherits (`constructor`, `toString`, `__proto__`, ...) or a
 * function's `prototype`. class-validator's "unknown keys are refused" looks a key up in a plain
 * object, so an inherited name counts as known and `{"constructor":1}` got through; no DTO has such a
 * field, so they are refused on the text, at any depth, before anything reads them.
 */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * One linear pass over a JSON text, before it is parsed, that finds what JSON.parse lets through but
 * this API refuses: nesting deeper than `maxDepth` (a deep body overflowed the stack of every recursive
 * walk after parsing, the ValidationPipe first) and a key repeated in one object (JSON.parse keeps the
 * last value, so a proxy or log that reads the first one sees another request), and RESERVED_KEYS.
 * Syntax is left to
 * JSON.parse: on malformed text this may return nothing and the parser answers instead.
 */
export function scanJson(text: string, maxDepth: number): JsonScanProblem | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i += 1; i < text.length; i += 1) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i += 1;
        } else if (d === QUOTE) break;
      }
      if (expectKey) {
        const keys = open[open.length - 1]!;
        const raw = text.slice(start, i + 1);
        const key = escaped ? decodeString(raw) : raw.slice(1, -1);
        if (RESERVED_KEYS.has(key)) return { kind: 'reserved-key', key };
        if (keys.has(key)) return { kind: 'duplicate-key', key };
        keys.add(key);
        expectKey = false;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (open.length >= maxDepth) return { kind: 'too-deep' };
      open.push(c === OPEN_OBJECT ? new Set() : null);
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = open.length > 0 && open[open.length - 1] !== null;
    }
  }
  return undefined;
}

/** "\u0061" and "a" are the same key. A malformed escape stays raw; JSON.parse refuses it later. */
function decodeString(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw;
  }
}
