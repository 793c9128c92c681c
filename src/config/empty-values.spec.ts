import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { getMetadataStorage } from 'class-validator';
import { appConfigModule } from './app-config.module';
import { EnvironmentVariables, validateEnvironment } from './env.validation';

/** Every variable the service validates, read from the schema itself so a new one is covered too. */
const KEYS = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((metadata) => metadata.propertyName),
  ),
] as Array<keyof EnvironmentVariables>;

const DEFAULTS = validateEnvironment({});

/** process.env with every key set to '' (what `cp .env.example .env` gives for `FOO=`), then restored. */
async function withEveryKeyEmpty<T>(work: () => Promise<T>): Promise<T> {
  const saved = new Map(KEYS.map((key) => [key, process.env[key]]));
  for (const key of KEYS) process.env[key] = '';
  try {
    return await work();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe('an empty setting is an unset setting', () => {
  it('finds the whole schema (the test would prove nothing with a few keys)', () => {
    expect(KEYS.length).toBeGreaterThanOrEqual(40);
    expect(KEYS).toEqual(
      expect.arrayContaining(['SWAGGER_ENABLED', 'HEALTH_DETAILS', 'PUBLIC_URL', 'PORT']),
    );
  });

  it.each(KEYS)('validateEnvironment gives %s its default when it is empty', (key) => {
    expect(validateEnvironment({ [key]: '' })[key]).toEqual(DEFAULTS[key]);
  });

  it('ConfigService answers every key with its default, not the raw empty string', async () => {
    const answers = await withEveryKeyEmpty(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [appConfigModule()],
      }).compile();
      const config = moduleRef.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
      const read = Object.fromEntries(KEYS.map((key) => [key, config.get(key, { infer: true })]));
      await moduleRef.close();
      return read;
    });
    expect(answers).toEqual(Object.fromEntries(KEYS.map((key) => [key, DEFAULTS[key]])));
    expect(answers).toMatchObject({
      SWAGGER_ENABLED: undefined,
      HEALTH_DETAILS: undefined,
      PUBLIC_URL: undefined,
    });
  });
});
