import { mongo, Types } from 'mongoose';
import {
  documentOf,
  mayAnswerFindAndModifyForAnother,
  takeFindAndModifyTurns,
} from './find-and-modify-turns';

let collections = 0;

/**
 * A collection whose findOneAndUpdate calls stay open until the test settles them. Each has its own
 * namespace: the turns are the process's, and calls a test leaves open must not hold the next test.
 */
function heldCollection(namespace = `shop.sales${(collections += 1)}`) {
  const started: Array<{ filter: unknown; settle: () => void; fail: () => void }> = [];
  const collection = {
    namespace,
    findOneAndUpdate: jest.fn(
      (filter: unknown) =>
        new Promise<unknown>((resolve, reject) =>
          started.push({
            filter,
            settle: () => resolve(filter),
            fail: () => reject(new Error('lost')),
          }),
        ),
    ),
    findOneAndReplace: jest.fn(),
    findOneAndDelete: jest.fn(),
  } as unknown as mongo.Collection<mongo.Document>;
  const turned = takeFindAndModifyTurns(collection) as unknown as {
    findOneAndUpdate(filter: object, update: object): Promise<unknown>;
  };
  return { collection: turned, started };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('findAndModify turns (the stand-in guard)', () => {
  it('is needed exactly where buildInfo names the stand-in', () => {
    expect(mayAnswerFindAndModifyForAnother('8.0.0-jongodb')).toBe(true);
    expect(mayAnswerFindAndModifyForAnother('8.0.4')).toBe(false);
  });

  it('runs calls on one document one at a time, in the order they were made', async () => {
    const { collection, started } = heldCollection();
    const _id = new Types.ObjectId();
    const answers = [1, 2, 3].map((n) => collection.findOneAndUpdate({ _id, n }, {}));
    await tick();
    expect(started.map((call) => call.filter)).toEqual([{ _id, n: 1 }]);
    started[0].settle();
    await tick();
    expect(started.map((call) => call.filter)).toEqual([
      { _id, n: 1 },
      { _id, n: 2 },
    ]);
    started[1].settle();
    await tick();
    started[2].settle();
    await expect(Promise.all(answers)).resolves.toEqual([1, 2, 3].map((n) => ({ _id, n })));
  });

  it('lets calls on different documents run side by side', async () => {
    const { collection, started } = heldCollection();
    void collection.findOneAndUpdate({ _id: new Types.ObjectId() }, {});
    void collection.findOneAndUpdate({ _id: new Types.ObjectId() }, {});
    await tick();
    expect(started).toHaveLength(2);
  });

  it('takes the next turn after a call that failed', async () => {
    const { collection, started } = heldCollection();
    const failing = collection.findOneAndUpdate({ _id: 'sale-1' }, {});
    const next = collection.findOneAndUpdate({ _id: 'sale-1', n: 2 }, {});
    await tick();
    expect(started).toHaveLength(1);
    started[0].fail();
    await expect(failing).rejects.toThrow('lost');
    await tick();
    expect(started).toHaveLength(2);
    started[1].settle();
    await expect(next).resolves.toEqual({ _id: 'sale-1', n: 2 });
  });

  it('makes a call without one named document wait for every call on the collection, and later ones for it', async () => {
    const { collection, started } = heldCollection();
    void collection.findOneAndUpdate({ _id: 1 }, {});
    void collection.findOneAndUpdate({ status: 'scheduled' }, {});
    void collection.findOneAndUpdate({ _id: 2 }, {});
    await tick();
    expect(started.map((call) => call.filter)).toEqual([{ _id: 1 }]);
    started[0].settle();
    await tick();
    expect(started.map((call) => call.filter)).toEqual([{ _id: 1 }, { status: 'scheduled' }]);
    started[1].settle();
    await tick();
    expect(started.map((call) => call.filter)).toEqual([
      { _id: 1 },
      { status: 'scheduled' },
      { _id: 2 },
    ]);
  });

  it('names a document by its _id, told apart by type', () => {
    const id = new Types.ObjectId();
    expect(documentOf({ _id: id })).toBe(`oid:${id.toHexString()}`);
    expect(documentOf({ _id: id.toHexString() })).toBe(`string:${id.toHexString()}`);
    expect(documentOf({ _id: 7 })).toBe('number:7');
    expect(documentOf({ _id: { $in: [1, 2] } })).toBeUndefined();
    expect(documentOf({})).toBeUndefined();
  });

  it('wraps real driver collections (the methods it replaces exist there)', () => {
    const client = new mongo.MongoClient('mongodb://127.0.0.1:1/none');
    const collection = takeFindAndModifyTurns(client.db().collection('sales'));
    expect(Object.keys(collection)).toEqual(
      expect.arrayContaining(['findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete']),
    );
  });
});
