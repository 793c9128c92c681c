import { corsOrigins } from './cors';

describe('corsOrigins', () => {
  it('allows any origin outside production when CORS_ORIGINS is unset', () => {
    expect(corsOrigins(undefined, 'development')).toBe('*');
    expect(corsOrigins('', 'test')).toBe('*');
  });

  it('allows none in production when CORS_ORIGINS is unset', () => {
    expect(corsOrigins(undefined, 'production')).toBeNull();
    expect(corsOrigins(' , ', 'production')).toBeNull();
  });

  it('reads a comma-separated list, trimmed, without trailing slashes', () => {
    expect(corsOrigins(' https://shop.example.com/ ,http://localhost:3000', 'production')).toEqual([
      'https://shop.example.com',
      'http://localhost:3000',
    ]);
  });

  it('treats * anywhere in the list as any origin', () => {
    expect(corsOrigins('https://a.example.com,*', 'production')).toBe('*');
  });
});
