import {
  MongoBulkWriteError,
  MongoNetworkError,
  MongoClientClosedError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
  type Collection,
  type Db,
  type Document,
  type OptionalUnlessRequiredId,
  type WriteError,
} from 'mongodb';
import { AppError, isAppError } from '../errors';
import { WaitBudget } from './waitBudget';

/** Server error codes that mean "the database cannot take writes right now" rather than "this write is wrong". */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

export const DUPLICATE_KEY = 11000;
const NAMESPACE_EXISTS = 48;

/** Whether the database refused with this error code. */
export function hasErrorCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}

/** A unique index refused the write: the key is there already. */
export function isDuplicateKey(err: unknown): boolean {
  return hasErrorCode(err, DUPLICATE_KEY);
}

/**
 * Creates a collection (one there already is left as it is) before anything is written to it:
 * on FerretDB, requests or instances that create it at once with their first inserts wait on
 * each other for seconds.
 */
export async function ensureCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (err) {
    if (!hasErrorCode(err, NAMESPACE_EXISTS)) throw err;
  }
}

/** A time limit as the database takes it: whole milliseconds, and never 0 (which means none). */
export function maxTimeMS(ms: number): number {
  return Math.max(1, Math.floor(ms));
}

export function isUnavailable(err: unknown): boolean {
  if (
    // Network errors include the driver's pool-cleared error.
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoOperationTimeoutError ||
    err instanceof MongoServerClosedError ||
    err instanceof MongoClientClosedError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoWriteConcernError
  ) {
    return true;
  }
  if (err instanceof MongoBulkWriteError) {
    // A driver failure during a bulk write (a refused connection, say) arrives wrapped, with the
    // original kept as errorResponse.
    const wrapped: unknown = err.errorResponse;
    if (wrapped instanceof Error) return isUnavailable(wrapped);
    if (err.result?.hasWriteErrors() === false) {
      return err.result.getWriteConcernError() !== undefined || isUnavailableCode(err.code);
    }
  }
  return err instanceof MongoServerError && isUnavailableCode(err.code);
}

function isUnavailableCode(code: unknown): boolean {
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code);
}

/**
 * The vocabulary error for a failed database call: 503 when retrying later can help, 500
 * otherwise. An error already in the vocabulary (a deadline's 503) is kept as it is.
 */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return new AppError(isUnavailable(err) ? 'database_unavailable' : 'internal', [], {}, { cause: err });
}

/** Waits for a database call within `timeoutMs` (then 503), any failure in the vocabulary. */
export async function withinBudget<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  try {
    return await new WaitBudget(timeoutMs).wait(work);
  } catch (err) {
    throw toAppError(err);
  }
}

/** The positions whose `_id` was taken, when a bulk write failed for that alone; undefined otherwise. */
export function takenIndexes(err: unknown): Set<number> | undefined {
  const errors: WriteError[] = err instanceof MongoBulkWriteError && !err.result.getWriteConcernError() ? ([] as WriteError[]).concat(err.writeErrors) : [];
  if (errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) return undefined;
  return new Set(errors.map((e) => e.index));
}

/** Inserts every document it can, in one call: true for each inserted, false for each whose `_id` was taken. */
export async function insertFresh<T extends Document>(collection: Collection<T>, docs: OptionalUnlessRequiredId<T>[]): Promise<boolean[]> {
  try {
    await collection.insertMany(docs, { ordered: false });
    return docs.map(() => true);
  } catch (err) {
    // Anything but a refused duplicate (an unmet write concern included) leaves the inserts unknown.
    const taken = takenIndexes(err);
    if (!taken) throw err;
    return docs.map((_, i) => !taken.has(i));
  }
}
