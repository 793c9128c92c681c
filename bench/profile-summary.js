// `node bench/profile-summary.js <file.cpuprofile> [top]`: where a V8 CPU profile's time went under
// load, by self time per function and by package (node_modules/<name>, our dist/, node internals), and
// by inclusive time (a function and everything it called, each sample counted once per function).
// Only the loaded seconds count: the first SKIP_SECONDS (boot) are left out, and so is every second in
// which the process was mostly idle (between scenarios); shares are of the busy samples in the rest.
const { readFileSync } = require('node:fs');

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg) || 25;
const SKIP_SECONDS = Number(process.env.SKIP_SECONDS ?? 5);

const idleIds = new Set(
  profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
);
// Second of each sample since the profile started, and how busy each second was.
let elapsed = 0;
const secondOf = profile.timeDeltas.map((delta) => Math.floor((elapsed += delta) / 1e6));
const seconds = new Map();
profile.samples.forEach((id, i) => {
  const bucket = seconds.get(secondOf[i]) ?? { busy: 0, all: 0 };
  bucket.all += 1;
  if (!idleIds.has(id)) bucket.busy += 1;
  seconds.set(secondOf[i], bucket);
});
const loaded = (second) => {
  const bucket = seconds.get(second);
  return second >= SKIP_SECONDS && bucket.busy >= bucket.all / 2;
};

const selfSamples = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  if (idleIds.has(id) || !loaded(secondOf[i])) return;
  selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  total += 1;
});

function packageOf(url) {
  if (!url) return '(native/vm)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.includes('/dist/')) return 'our code (dist)';
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

const byFunction = new Map();
const byPackage = new Map();
const where = ({ functionName, url, lineNumber }) =>
  `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
for (const node of profile.nodes) {
  const samples = selfSamples.get(node.id) ?? 0;
  if (!samples) continue;
  byFunction.set(where(node.callFrame), (byFunction.get(where(node.callFrame)) ?? 0) + samples);
  const pkg = packageOf(node.callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + samples);
}

const print = (title, map, limit) => {
  console.log(`\n${title}`);
  for (const [name, samples] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`  ${((100 * samples) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
};
const loadedSeconds = [...seconds.keys()].filter(loaded).length;
console.log(
  `${file}: ${total} busy samples in ${loadedSeconds} loaded seconds of ${seconds.size} (shares of busy time)`,
);
print('Self time by package', byPackage, 15);
print(`Self time by function (top ${top})`, byFunction, top);

// Inclusive: walk each node's stack once; a function that recurses counts once per sample.
const parentOf = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node);
const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
const inclusive = new Map();
for (const [id, samples] of selfSamples) {
  const seen = new Set();
  for (let node = nodeById.get(id); node; node = parentOf.get(node.id)) {
    const name = where(node.callFrame);
    if (seen.has(name) || node.callFrame.functionName === '(root)') continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + samples);
  }
}
print(`Inclusive time by function (top ${top * 2})`, inclusive, top * 2);
