import { bootLine } from './boot-line';
import { validateEnvironment } from './config/env.validation';

describe('the boot line', () => {
  const env = validateEnvironment({ HOST: '127.0.0.1', PORT: '5000' });
  const address = { port: 5000, address: '127.0.0.1', family: 'IPv4' };

  it('says nothing of the database on an engine that keeps its own guarantees', () => {
    expect(bootLine(env, address)).toBe(
      'Listening on http://127.0.0.1:5000: API /api, health /health, Swagger UI /api-docs, OpenAPI /api-doc',
    );
  });

  it('says the stand-in guard holds in this process only', () => {
    expect(bootLine(env, address, { findAndModifyTurns: true })).toMatch(
      /; jongodb stand-in: findAndModify calls take turns per document in this process \(another process on the same stand-in is not covered\)$/,
    );
  });

  it('says, for a cluster on an embedded stand-in, that the workers are not guarded against each other', () => {
    expect(bootLine(env, address, { findAndModifyTurns: true, processes: 4 })).toMatch(
      /within each of the 4 workers only, NOT across them \(places in line may repeat\)$/,
    );
  });
});
