// `npm start`'s build step: runs `nest build` only when dist/ was not built from exactly the sources
// that are here now. A successful build leaves dist/.build-inputs, the SHA-256 of every input's path and
// content; the next start hashes the inputs again and skips the build (~20-40 s on a busy machine) when
// the hashes match. Content, not modification times: `git checkout` of an older file gives it a new
// mtime but old content, and a copied tree can carry any mtime. `nest build` empties dist/ first
// (deleteOutDir), so a build by any other command (npm test, npm run build, nest start) takes the
// record away with it, and a build that fails leaves none: the next start builds.
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const RECORD = join(DIST, '.build-inputs');
// What `nest build` reads (nest-cli.json -> tsconfig.build.json -> tsconfig.json, src/ without specs),
// and the lock file: another compiler or library version may compile the same source differently.
const CONFIG_FILES = ['nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const say = (line) => process.stderr.write(`[build] ${line}\n`);

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith('.spec.ts') ? [] : [path];
    })
    .sort();
}

function inputsHash() {
  const hash = createHash('sha256');
  const files = [
    ...CONFIG_FILES.map((file) => join(ROOT, file)),
    ...sourceFiles(join(ROOT, 'src')),
  ];
  for (const file of files) {
    // The path too: a renamed or deleted file changes the build even when no content does.
    hash.update(`${relative(ROOT, file)}\0`);
    hash.update(existsSync(file) ? readFileSync(file) : '(none)');
    hash.update('\0');
  }
  return hash.digest('hex');
}

function recordedHash() {
  try {
    return readFileSync(RECORD, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const wanted = inputsHash();
if (recordedHash() === wanted && existsSync(join(DIST, 'main.js'))) {
  say(`dist/ is up to date with src/ (inputs ${wanted.slice(0, 12)}): not rebuilding`);
  process.exit(0);
}
say('building dist/ (nest build)');
const build = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
// Hashed before the build: an edit made while it ran makes the record stale, so the next start builds.
writeFileSync(RECORD, `${wanted}\n`);
