import { isWatchingNestCli } from './watch-session';

describe('isWatchingNestCli', () => {
  it.each([
    'node /work/app/node_modules/.bin/nest start --watch',
    'node /work/app/node_modules/@nestjs/cli/bin/nest.js start --watch --no-shell --config x.json',
    'nest start -w',
    'nest start --debug --watch',
  ])('recognises %s', (args) => expect(isWatchingNestCli(args)).toBe(true));

  it.each([
    'nest start',
    'nest build --watch',
    'node --enable-source-maps /work/app/dist/main',
    '/bin/sh -c node --enable-source-maps /work/app/dist/main',
    'npm exec nest-watch start --watch',
  ])('does not take %s for it', (args) => expect(isWatchingNestCli(args)).toBe(false));
});
