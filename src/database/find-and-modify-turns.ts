import type { mongo } from 'mongoose';

type Collection = mongo.Collection<mongo.Document>;

/** The driver calls that run findAndModify: each answers with a document the server picked. */
const FIND_AND_MODIFY = ['findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete'] as const;

/**
 * Whether the server may answer a findAndModify with another concurrent call's document. The offline
 * stand-in does (measured: 300 concurrent `$inc` on one document end right, yet 2-3 answers repeat a
 * value, and a take's place in line and time come from another take); it names itself in buildInfo
 * (`8.0.0-jongodb`). MongoDB returns each update's own post-image.
 */
export const mayAnswerFindAndModifyForAnother = (version: string): boolean =>
  version.includes('-jongodb');

const settle = () => undefined;

/**
 * findAndModify calls in line, in this process: a call that names one document (`filter._id` a plain
 * value) waits for the earlier calls on that document; any other call waits for every earlier call on
 * the collection, and later ones wait for it. Calls on different documents run side by side, as they
 * do on MongoDB.
 */
class Turns {
  /** namespace -> the settlement of the last collection-wide call and of the last call per document. */
  private readonly lines = new Map<
    string,
    { wide?: Promise<void>; documents: Map<string, Promise<void>> }
  >();

  run<T>(namespace: string, document: string | undefined, call: () => Promise<T>): Promise<T> {
    const line = this.lines.get(namespace) ?? { documents: new Map<string, Promise<void>>() };
    this.lines.set(namespace, line);
    const earlier =
      document === undefined
        ? [line.wide, ...line.documents.values()]
        : [line.wide, line.documents.get(document)];
    const waiting = earlier.filter((p): p is Promise<void> => p !== undefined);
    const result = waiting.length ? Promise.all(waiting).then(call) : call();
    const done = result.then(settle, settle);
    if (document === undefined) line.wide = done;
    else line.documents.set(document, done);
    void done.then(() => this.forget(namespace, document, done));
    return result;
  }

  /** Keeps the map as small as the calls in flight: a settled last call leaves nothing to wait for. */
  private forget(namespace: string, document: string | undefined, done: Promise<void>): void {
    const line = this.lines.get(namespace);
    if (!line) return;
    if (document === undefined && line.wide === done) line.wide = undefined;
    if (document !== undefined && line.documents.get(document) === done) {
      line.documents.delete(document);
    }
    if (!line.wide && line.documents.size === 0) this.lines.delete(namespace);
  }
}

/** One line per document for the whole process: several apps (or connections) in one process share it. */
const turns = new Turns();

/** The document a filter names by `_id` (an ObjectId, string or number), or undefined. */
export function documentOf(filter: unknown): string | undefined {
  const id = (filter as { _id?: unknown } | null)?._id;
  if (typeof id === 'string' || typeof id === 'number') return `${typeof id}:${id}`;
  const hex = (id as { toHexString?: () => string } | null)?.toHexString;
  return typeof hex === 'function' ? `oid:${hex.call(id)}` : undefined;
}

/** Makes this collection's findAndModify calls take turns per document (see Turns). */
export function takeFindAndModifyTurns(collection: Collection): Collection {
  for (const method of FIND_AND_MODIFY) {
    const methods = collection as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    const original = methods[method].bind(collection);
    methods[method] = (filter: unknown, ...rest: unknown[]) =>
      turns.run(collection.namespace, documentOf(filter), () => original(filter, ...rest));
  }
  return collection;
}
