import { StreamQuota } from './stream-quota';

describe('StreamQuota', () => {
  it('refuses an address at its cap, whoever the user', () => {
    const quota = new StreamQuota({ perAddress: 2, perUser: 5 });
    expect(quota.take({ address: 'a' })).toBeNull();
    expect(quota.take({ address: 'a', userId: 'u' })).toBeNull();
    expect(quota.take({ address: 'a', userId: 'v' })).toBe('address');
    expect(quota.take({ address: 'b' })).toBeNull();
  });

  it('refuses a user at its cap from any address, and leaves anonymous streams to the address cap', () => {
    const quota = new StreamQuota({ perAddress: 10, perUser: 2 });
    expect(quota.take({ address: 'a', userId: 'u' })).toBeNull();
    expect(quota.take({ address: 'b', userId: 'u' })).toBeNull();
    expect(quota.take({ address: 'c', userId: 'u' })).toBe('user');
    expect(quota.take({ address: 'c' })).toBeNull();
  });

  it('gives places back, and a refused take holds none', () => {
    const quota = new StreamQuota({ perAddress: 1, perUser: 1 });
    expect(quota.take({ address: 'a', userId: 'u' })).toBeNull();
    expect(quota.take({ address: 'b', userId: 'u' })).toBe('user');
    // The refused take did not count address b.
    expect(quota.take({ address: 'b' })).toBeNull();
    quota.giveBack({ address: 'a', userId: 'u' });
    expect(quota.take({ address: 'a', userId: 'u' })).toBeNull();
  });
});
