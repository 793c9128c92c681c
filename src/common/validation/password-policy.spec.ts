import {
  LOGIN_PASSWORD_RULE,
  loginPasswordProblem,
  PASSWORD_RULE,
  passwordProblem,
} from './password-policy';

describe('passwordProblem', () => {
  it.each([
    ['7 characters', 'short12'],
    ['eight spaces', ' '.repeat(8)],
    ['tabs and newlines only', '\t\n\t\n\t\n\t\n'],
    ['eight NUL characters', '\u0000'.repeat(8)],
    ['73 ASCII bytes', 'p'.repeat(73)],
    ['37 two-byte characters (74 bytes)', 'é'.repeat(37)],
    ['a number', 12345678],
    ['a lone high surrogate', 'password\ud800'],
    ['a lone low surrogate', '\udc00password'],
  ])('refuses %s with the rule', (_case, value) => {
    expect(passwordProblem(value)).toBe(PASSWORD_RULE);
  });

  it('accepts 8 characters, 72 bytes, and 8 emoji (32 bytes)', () => {
    expect(passwordProblem('abcdefgh')).toBeUndefined();
    expect(passwordProblem('p'.repeat(72))).toBeUndefined();
    expect(passwordProblem('😀'.repeat(8))).toBeUndefined();
  });
});

describe('loginPasswordProblem', () => {
  it.each([
    ['an empty password', ''],
    ['73 ASCII bytes (a 72-byte password plus a suffix)', 'p'.repeat(72) + 'x'],
    ['a NUL', 'password\u0000'],
    ['a lone surrogate (it would match any other as U+FFFD)', 'password\ud800'],
    ['a number', 12345678],
  ])('refuses %s with the login rule', (_case, value) => {
    expect(loginPasswordProblem(value)).toBe(LOGIN_PASSWORD_RULE);
  });

  it('accepts 72 bytes, a short password and a surrogate pair', () => {
    expect(loginPasswordProblem('p'.repeat(72))).toBeUndefined();
    expect(loginPasswordProblem('short')).toBeUndefined();
    expect(loginPasswordProblem('😀'.repeat(18))).toBeUndefined();
  });
});
