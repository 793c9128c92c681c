import { itWhen, testDatabase } from './support/conditional-tests';
import { bootBuiltService } from './support/boot-built-service';
import { databaseUri, uniqueDatabaseName } from './support/test-app';

const boot = bootBuiltService;

describe('boot-time configuration (e2e, the built service)', () => {
  it('refuses to start in production without JWT_SECRET and MONGO_URI, naming both', () => {
    const result = boot({ NODE_ENV: 'production' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET/);
    expect(result.stderr).toMatch(/MONGO_URI/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // one clear message, no stack trace
  });

  it('refuses a bad PORT with a message naming it', () => {
    const result = boot({ PORT: 'eighty' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/PORT/);
  });

  it('refuses a production secret shorter than 32 characters', () => {
    const result = boot({
      NODE_ENV: 'production',
      MONGO_URI: 'mongodb://127.0.0.1:1/x',
      JWT_SECRET: 'short',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET must be at least 32 characters/);
  });

  // A replica set or mongos supports transactions: there is no standalone server to refuse there.
  itWhen(testDatabase.isStandalone, `the test database is a ${testDatabase.topology}`)(
    'refuses MONGO_TRANSACTIONS=on against a standalone server, naming the problem',
    () => {
      const result = boot({
        MONGO_URI: databaseUri(uniqueDatabaseName()),
        MONGO_TRANSACTIONS: 'on',
        PORT: '0',
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/MONGO_TRANSACTIONS=on but the MongoDB server is standalone/);
    },
  );
});
