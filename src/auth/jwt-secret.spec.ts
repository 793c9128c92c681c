import { toExpiresIn } from './jwt-secret';

describe('toExpiresIn', () => {
  it('reads bare digits as seconds, not milliseconds', () => {
    expect(toExpiresIn('3600')).toBe(3600);
  });

  it('passes unit strings through', () => {
    expect(toExpiresIn('15m')).toBe('15m');
    expect(toExpiresIn('1h')).toBe('1h');
  });
});
