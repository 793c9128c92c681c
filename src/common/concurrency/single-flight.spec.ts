import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one read among concurrent callers of the same key', async () => {
    const flight = new SingleFlight<number>();
    const read = jest.fn().mockResolvedValue(42);
    const answers = await Promise.all([
      flight.run('a', read),
      flight.run('a', read),
      flight.run('a', read),
    ]);
    expect(answers).toEqual([42, 42, 42]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads again once the previous read settled, and keeps keys apart', async () => {
    const flight = new SingleFlight<number>();
    const read = jest
      .fn()
      .mockResolvedValueOnce(1)
      .mockResolvedValueOnce(2)
      .mockResolvedValueOnce(3);
    expect(await flight.run('a', read)).toBe(1);
    expect(await flight.run('a', read)).toBe(2);
    expect(await flight.run('b', read)).toBe(3);
  });

  it('shares a failure too, then forgets it', async () => {
    const flight = new SingleFlight<number>();
    const read = jest.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValueOnce(7);
    await expect(Promise.all([flight.run('a', read), flight.run('a', read)])).rejects.toThrow(
      'down',
    );
    expect(read).toHaveBeenCalledTimes(1);
    expect(await flight.run('a', read)).toBe(7);
  });
});
