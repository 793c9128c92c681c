import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Boots the built service (dist/main.js) to completion or failure with exactly `env` for the variables
 * boot checks, none of the runner's own: for what the service refuses at boot and what it prints.
 */
export function bootBuiltService(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(MONGO_URI|JWT_SECRET|NODE_ENV|PORT)$/.test(key),
    ),
  );
  return spawnSync(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}
