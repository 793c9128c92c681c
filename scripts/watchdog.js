// Usage: node scripts/watchdog.js <ownerPid> <childPid>
// Stops <childPid> when <ownerPid> dies, however it died (kill -9 included), then exits; exits as well
// when the child ends first. The embedded databases are separate processes: without this, a service
// killed with SIGKILL would leave its database listening. (mongodb-memory-server ships the same idea
// for mongod, scripts/mongo_killer.js; jongodb has none.) Started detached by the owner.
const [ownerPid, childPid] = process.argv.slice(2).map(Number);
const POLL_MS = 250;
const GRACE_MS = 5_000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

if (!Number.isInteger(ownerPid) || !Number.isInteger(childPid)) {
  console.error('usage: node scripts/watchdog.js <ownerPid> <childPid>');
  process.exit(2);
}

const timer = setInterval(() => {
  if (!alive(childPid)) process.exit(0);
  if (alive(ownerPid)) return;
  clearInterval(timer);
  // SIGTERM first so mongod can close its files; SIGKILL if it does not go in time.
  process.kill(childPid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  const stop = setInterval(() => {
    if (!alive(childPid)) process.exit(0);
    if (Date.now() < deadline) return;
    process.kill(childPid, 'SIGKILL');
    clearInterval(stop);
    process.exit(0);
  }, POLL_MS);
}, POLL_MS);
