import mongoose, { Types } from 'mongoose';
import { databaseUri, uniqueDatabaseName } from './support/test-app';

/**
 * The purchase line reads each take's own post-image from findOneAndUpdate (`acceptedSeq`,
 * `lastAcceptedAt`). MongoDB guarantees it; the stand-in, measured, sometimes returns another
 * concurrent update's (standin-workarounds.js, which makes this process's calls take turns). This runs
 * the storm's shape on a bare counter: on either engine every returned place must be distinct.
 */
describe('findOneAndUpdate returns its own post-image under concurrency', () => {
  let connection: mongoose.Connection;

  beforeAll(async () => {
    connection = await mongoose.createConnection(databaseUri(uniqueDatabaseName())).asPromise();
  });

  afterAll(() => connection.close()); // a database of its own; the stand-in has no dropDatabase

  // Without the workaround the stand-in repeats a value in a third to a half of the rounds: eight rounds
  // leave it about a 2% chance to pass unnoticed.
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives 300 concurrent increments 300 distinct values, ending at 300 (round %i)',
    async () => {
      const counters = connection.collection<{ _id: Types.ObjectId; seq: number; last: number }>(
        'counters',
      );
      const _id = new Types.ObjectId();
      await counters.insertOne({ _id, seq: 0, last: -1 });

      const returned = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          counters.findOneAndUpdate(
            { _id },
            { $inc: { seq: 1 }, $set: { last: i } },
            { returnDocument: 'after' },
          ),
        ),
      );

      const places = returned.map((document) => document!.seq);
      expect(new Set(places).size).toBe(300);
      expect(Math.max(...places)).toBe(300);
      expect((await counters.findOne({ _id }))!.seq).toBe(300);
    },
  );
});
