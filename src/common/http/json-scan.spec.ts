import { scanJson } from './json-scan';

describe('scanJson', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(scanJson(nested(32), 32)).toBeUndefined();
    expect(scanJson(nested(33), 32)).toEqual({ kind: 'too-deep' });
    expect(scanJson('{"a":'.repeat(100_000), 32)).toEqual({ kind: 'too-deep' });
  });

  it('does not count brackets inside strings', () => {
    expect(scanJson(JSON.stringify({ a: '[[[[{{{{'.repeat(100) }), 2)).toBeUndefined();
    expect(scanJson(JSON.stringify({ a: 'quote \\" [[[[' }), 2)).toBeUndefined();
  });

  it('finds a key repeated in one object, also when spelled with escapes', () => {
    expect(scanJson('{"quantity":1,"quantity":5}', 32)).toEqual({
      kind: 'duplicate-key',
      key: 'quantity',
    });
    expect(scanJson('{"a":1,"\\u0061":2}', 32)).toEqual({ kind: 'duplicate-key', key: 'a' });
  });

  it('allows the same key in different objects and string values equal to keys', () => {
    expect(scanJson('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a"}', 32)).toBeUndefined();
    expect(scanJson('["a","a"]', 32)).toBeUndefined();
  });

  it.each([
    'constructor',
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__defineGetter__',
    '__proto__',
    'prototype',
  ])('refuses the inherited name %p as a key, at any depth and however escaped', (key) => {
    expect(scanJson(`{"${key}":1,"quantity":1}`, 32)).toEqual({ kind: 'reserved-key', key });
    expect(scanJson(`{"a":[{"${key}":1}]}`, 32)).toEqual({ kind: 'reserved-key', key });
    const escaped = `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}`;
    expect(scanJson(`{"${escaped}":1}`, 32)).toEqual({ kind: 'reserved-key', key });
  });

  it('allows those names as string values', () => {
    expect(scanJson('{"name":"constructor","description":"prototype"}', 32)).toBeUndefined();
  });
});
