/** Unit specs sit beside the code; e2e specs in test/ share one database engine per run. */
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  // content-disposition 3 (under @fastify/static, which Swagger UI needs on Fastify) ships ESM only;
  // jest's CommonJS runtime cannot require it, so it is compiled like our own code.
  '^.+/node_modules/content-disposition/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' } },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!content-disposition/)'];

module.exports = {
  maxWorkers: 2,
  // A global option: jest ignores it inside a project (with an "Unknown option" warning). Storms on a
  // real replica set retry write conflicts inside transactions and need the room; unit tests get it too.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: tsJest,
      transformIgnorePatterns,
      setupFiles: ['<rootDir>/test/support/quiet-output.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: tsJest,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: [
        '<rootDir>/test/support/standin-workarounds.js',
        '<rootDir>/test/support/quiet-output.ts',
      ],
      slowTestThreshold: 30,
    },
  ],
};
