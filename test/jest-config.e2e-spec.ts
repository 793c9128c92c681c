import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** jest.config.js as jest itself reads it (`--showConfig` validates and normalizes it, runs nothing). */
function showConfig() {
  const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--showConfig'], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(0);
  return {
    warnings: result.stderr,
    config: JSON.parse(result.stdout) as {
      globalConfig: { testTimeout?: number };
      configs: Array<{ displayName?: { name: string } }>;
    },
  };
}

describe('the jest configuration', () => {
  it('is valid: jest prints no warning about it (no option it would ignore)', () => {
    const { warnings } = showConfig();
    expect(warnings).not.toMatch(/Unknown option|Validation Warning|Deprecation Warning/);
  });

  it('gives every test 60 s where jest reads it, for storms on a real replica set', () => {
    const { config } = showConfig();
    expect(config.globalConfig.testTimeout).toBe(60_000);
    expect(config.configs.map((project) => project.displayName?.name)).toEqual(['unit', 'e2e']);
  });
});
