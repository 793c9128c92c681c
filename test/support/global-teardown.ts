import { printNotes } from './notes';
import { releaseTestRedis } from './test-redis';

export default async function globalTeardown(): Promise<void> {
  await releaseTestRedis().catch(() => undefined);
  await globalThis.__TEST_DATABASE__?.stop();
  printNotes();
}
