import { PASSWORD_RULE, passwordProblem } from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['7 characters', 'short12'],
    ['eight spaces', ' '.repeat(8)],
    ['tabs and newlines only', '\t\n\t\n\t\n\t\n'],
    ['eight NUL characters', '\u0000'.repeat(8)],
    ['73 ASCII bytes', 'p'.repeat(73)],
    ['37 two-byte characters (74 bytes)', 'é'.repeat(37)],
    ['a number', 12345678],
  ])('refuses %s with the rule', (_case, value) => {
    expect(passwordProblem(value)).toBe(PASSWORD_RULE);
  });

  it('accepts 8 characters, 72 bytes, and 8 emoji (32 bytes)', () => {
    expect(passwordProblem('abcdefgh')).toBeUndefined();
    expect(passwordProblem('p'.repeat(72))).toBeUndefined();
    expect(passwordProblem('😀'.repeat(8))).toBeUndefined();
  });
});
