// Test-setup workarounds for the offline MongoDB stand-in (jongodb), kept out of product code on purpose:
// it has no `create` command, so mongoose must not create collections itself (they appear on first
// insert or index build). Loaded by jest in every e2e worker, and with `node -r` by the crash test's
// child process. On a real MongoDB (TEST_DB_ENGINE unset, external or mongodb-memory-server) it does nothing.
if (process.env.TEST_DB_ENGINE === 'jongodb') {
  require('mongoose').set('autoCreate', false);
}
