// Preloaded (`node -r`) into the benchmarked server only: counts the MongoDB driver's commands by name and
// collection through command monitoring, and writes the running totals to BENCH_COMMANDS_FILE, so the
// benchmark can report database commands per request: a figure no noisy machine can blur.
// The driver mongoose uses (it may have its own copy under node_modules/mongoose).
const { MongoClient } = require('mongoose').mongo;
const { renameSync, writeFileSync } = require('node:fs');

const counts = {};
const connect = MongoClient.prototype.connect;
MongoClient.prototype.connect = function connectCounting(...args) {
  this.monitorCommands = true;
  this.on('commandStarted', (event) => {
    const target = event.command[event.commandName];
    const key = typeof target === 'string' ? `${event.commandName} ${target}` : event.commandName;
    counts[key] = (counts[key] ?? 0) + 1;
  });
  return connect.apply(this, args);
};

const file = process.env.BENCH_COMMANDS_FILE;
// Written aside and renamed into place: the benchmark reads the file at any moment and must never see half of it.
if (file) {
  setInterval(() => {
    writeFileSync(`${file}.tmp`, JSON.stringify(counts));
    renameSync(`${file}.tmp`, file);
  }, 100).unref();
}
