import type { mongo } from 'mongoose';

type Db = mongo.Db;

const COMMAND_NOT_FOUND = 59;

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * Whether the server knows the `create` command. An empty name makes a real MongoDB refuse the
 * namespace (InvalidNamespace) without creating anything, while a server without the command (the
 * jongodb stand-in) answers CommandNotFound: a probe with no side effect, whatever the URI points at.
 */
export async function supportsCreateCommand(db: Db): Promise<boolean> {
  try {
    await db.command({ create: '' });
    return true;
  } catch (error) {
    return codeOf(error) !== COMMAND_NOT_FOUND;
  }
}

/**
 * Whether data outlives the database process: mongod reports it per storage engine (`inMemory` is the
 * one that does not). A server that cannot say (the stand-in has no serverStatus) is judged by its
 * version string; otherwise unknown.
 */
export async function keepsDataOnDisk(db: Db, version: string): Promise<boolean | undefined> {
  try {
    const status = (await db.admin().command({ serverStatus: 1 })) as {
      storageEngine?: { persistent?: boolean };
    };
    return status.storageEngine?.persistent;
  } catch {
    return version.includes('jongodb') ? false : undefined;
  }
}

/**
 * The boot log's answer to "will my data still be there after a restart?". An in-memory database the
 * service started itself dies with it; one started apart (`npm run db`, the dev loop's) outlives the
 * service's restarts but not its own.
 */
export function describeDurability(keepsData: boolean | undefined, embedded: boolean): string {
  if (keepsData === undefined) return 'data durability unknown (the server does not say)';
  if (keepsData) return 'data on disk: it survives restarts';
  return embedded
    ? 'data in memory: lost when the service stops'
    : 'data in memory: it survives restarts of the service, not of the database process';
}
