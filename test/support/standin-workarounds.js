// Test-setup workarounds for the offline MongoDB stand-in (jongodb), kept out of product code on purpose.
// Loaded by jest in every e2e worker, and with `node -r` by child processes the tests and the bench start.
// On a real MongoDB (TEST_DB_ENGINE unset, external or mongodb-memory-server) it does nothing.
if (process.env.TEST_DB_ENGINE === 'jongodb') {
  // It has no `create` command, so mongoose must not create collections itself (they appear on first
  // insert or index build).
  require('mongoose').set('autoCreate', false);
  answerFindAndModifyOneAtATime();
}

/**
 * The stand-in applies concurrent findAndModify updates atomically but may return another update's
 * post-image: 300 concurrent `$inc` on one document end at 300, yet 2-3 of the returned documents
 * repeat a value (test/standin-workarounds.e2e-spec.ts measures it). Real MongoDB returns each
 * update's own post-image, and the purchase line (a take's `acceptedSeq` and `lastAcceptedAt`) relies on
 * it. So, in this process only, findOneAndUpdate calls on one collection run one at a time, as they do on
 * one document in MongoDB; two processes sharing the stand-in are not covered.
 */
function answerFindAndModifyOneAtATime() {
  const { Collection } = require(
    require.resolve('mongodb', { paths: [require.resolve('mongoose')] }),
  );
  const original = Collection.prototype.findOneAndUpdate;
  const tails = new Map(); // namespace -> the last call's settlement (one per collection used)
  Collection.prototype.findOneAndUpdate = function findOneAndUpdateOneAtATime(...args) {
    const result = (tails.get(this.namespace) ?? Promise.resolve()).then(() =>
      original.apply(this, args),
    );
    tails.set(
      this.namespace,
      result.catch(() => undefined),
    );
    return result;
  };
}
