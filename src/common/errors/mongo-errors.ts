const MONGO_DUPLICATE_KEY = 11000;

/** A write refused by a unique index (E11000): how uniqueness rules surface from MongoDB. */
export const isDuplicateKeyError = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === MONGO_DUPLICATE_KEY;
