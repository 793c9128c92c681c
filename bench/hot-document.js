// Usage: [MONGO_URI=...] node bench/hot-document.js [clients=100] [seconds=5]
// The bound of one sale (docs/scaling.md): how many takes per second ONE sale document accepts. Runs the
// take's shape (a conditional findOneAndUpdate with $inc and $set on one document, as in
// src/sales/sale-stock.service.ts) from many concurrent clients for a few seconds and prints the rate.
// Without MONGO_URI it uses the embedded database ladder (build first: it loads dist/).
const { MongoClient, ObjectId } = require('mongodb');
const { join } = require('node:path');

const clients = Number(process.argv[2]) || 100;
const seconds = Number(process.argv[3]) || 5;

async function database() {
  if (process.env.MONGO_URI) return { uri: process.env.MONGO_URI, stop: async () => {} };
  const { startEmbeddedDatabase } = require(
    join(__dirname, '..', 'dist', 'database', 'embedded-database'),
  );
  return startEmbeddedDatabase({ log: (line) => console.error(`[db] ${line}`) });
}

async function main() {
  const db = await database();
  const client = await MongoClient.connect(db.uri, { maxPoolSize: clients });
  const sales = client.db(`hot_document_${Date.now()}`).collection('sales');
  const _id = new ObjectId();
  await sales.insertOne({ _id, remainingQuantity: 1e9, soldQuantity: 0, acceptedSeq: 0 });
  let takes = 0;
  const until = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < until) {
      const now = new Date();
      const taken = await sales.findOneAndUpdate(
        { _id, remainingQuantity: { $gte: 1 }, lastAcceptedAt: { $not: { $gt: now } } },
        {
          $inc: { remainingQuantity: -1, soldQuantity: 1, acceptedSeq: 1 },
          $set: { lastAcceptedAt: now, auditDue: true },
        },
        { returnDocument: 'after' },
      );
      if (taken) takes += 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const sale = await sales.findOne({ _id });
  console.log(
    `${clients} clients, ${seconds} s: ${Math.round(takes / seconds)} takes/s on one document ` +
      `(acceptedSeq ${sale.acceptedSeq} == takes ${takes}: ${sale.acceptedSeq === takes})`,
  );
  await client.close();
  await db.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
