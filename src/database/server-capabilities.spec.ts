import type { mongo } from 'mongoose';
import { describeDurability, keepsDataOnDisk, supportsCreateCommand } from './server-capabilities';

const failing = (code: number) => Object.assign(new Error('refused'), { code });
const db = (command: jest.Mock) => ({ command, admin: () => ({ command }) }) as unknown as mongo.Db;

describe('server capabilities probed at boot', () => {
  it('create is supported unless the server does not know the command', async () => {
    // A real MongoDB refuses the empty name as an invalid namespace (73): the command exists.
    await expect(supportsCreateCommand(db(jest.fn().mockRejectedValue(failing(73))))).resolves.toBe(
      true,
    );
    // jongodb: CommandNotFound (59).
    await expect(supportsCreateCommand(db(jest.fn().mockRejectedValue(failing(59))))).resolves.toBe(
      false,
    );
  });

  it('durability comes from serverStatus, else from the stand-in version, else unknown', async () => {
    const persistent = jest.fn().mockResolvedValue({ storageEngine: { persistent: true } });
    await expect(keepsDataOnDisk(db(persistent), '7.0.24')).resolves.toBe(true);
    const inMemory = jest.fn().mockResolvedValue({ storageEngine: { persistent: false } });
    await expect(keepsDataOnDisk(db(inMemory), '7.0.24')).resolves.toBe(false);
    const noCommand = jest.fn().mockRejectedValue(failing(59));
    await expect(keepsDataOnDisk(db(noCommand), '8.0.0-jongodb')).resolves.toBe(false);
    await expect(keepsDataOnDisk(db(noCommand), '7.0.24')).resolves.toBeUndefined();
  });

  it('says whether data survives a restart, for an embedded and a separate database', () => {
    expect(describeDurability(false, true)).toBe('data in memory: lost when the service stops');
    expect(describeDurability(false, false)).toBe(
      'data in memory: it survives restarts of the service, not of the database process',
    );
    expect(describeDurability(true, true)).toBe('data on disk: it survives restarts');
  });
});
