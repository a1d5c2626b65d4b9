import type { Collection, Db } from 'mongodb';
import { AppError } from '../errors';
import { Batches } from './batches';
import { ensureCollection, insertFresh, withinBudget } from './dbErrors';
import type { Idempotency } from './eventDocument';
import type { KeyMode } from './partnerStore';

export const VERSION_KEYS_COLLECTION = 'fhir_version_keys';
/** Test-mode keys: apart from live ones, and deleted with the test events' retention. */
export const TEST_VERSION_KEYS_COLLECTION = 'test_fhir_version_keys';
/** On the local database the claims are written beside the events' inserts, not after them (see stores.ts). */
export const versionKeysDatabaseName = (dbName: string): string => `${dbName}_version_keys`;

/** One claimed key: `k|<key>` (the key is taken) or `c|<key>|<fingerprint>` (the content is known). */
export interface VersionKeyDocument {
  _id: string;
  /** On `k|<key>`: the fingerprint of the content that took the key. */
  fp?: string;
  /** When it was claimed: test-mode keys are deleted by it. */
  at: Date;
}

/**
 * The content each FHIR version key (a resource version: Appointment/<id>/_history/<versionId>)
 * was first sent with. A notification is stored all or none, so a version whose key names other
 * content must be found before its first event is written; on the local database a lookup by
 * `_id` reads the whole collection, while a unique insert is checked against an index. So each
 * version claims two documents with one insert: the key (`k|`, holding the content's
 * fingerprint) and the pair of key and fingerprint (`c|`). The key new: a new version, now taken.
 * The pair already there: content known for the key (a resend, a write cut short). Only the key
 * there, not the pair: other content, or the same content claimed at this moment by another
 * process whose documents went in interleaved with these; then, and only then, the key's
 * fingerprint is read (a scan on the local database, for a rare case). Other content is refused,
 * and its pair deleted again, so that a pair names the key's content alone (but for the moment
 * between the insert and the delete).
 *
 * A claim stays even when its request is refused or fails: a FHIR version names one content for
 * good, and a write cut short is completed with the content it claimed. Only a stored event
 * outranks a claim: a lone Appointment, claimed beside its write, hands the key to its content.
 */
export interface VersionKeys {
  /** Claims each key for its content; resolves with the positions whose key names other content. */
  claim(mode: KeyMode, idempotencies: readonly Pick<Idempotency, 'key' | 'fingerprint'>[], timeoutMs: number): Promise<number[]>;
  /** Hands a key to this content alone, once an event of it is stored: claims of other content for it are deleted. */
  reassign(mode: KeyMode, idempotency: Pick<Idempotency, 'key' | 'fingerprint'>, timeoutMs: number): Promise<void>;
  /** The same collections and inserts for another kind of claim (see BesideClaims). */
  beside: BesideClaims;
}

/** A claim of another kind kept with the version keys: its `_id` starts with a prefix of its own. */
export interface BesideDocument {
  _id: string;
  /** When it was written: test-mode claims are deleted by it, as test versions are. */
  at: Date;
}

/**
 * Another kind of claim made by a unique insert at the moment versions are claimed (the booked
 * starts, see appointmentStarts.ts): kept in the same collections, so that the claims of the
 * moment go in one insert (on the local database each insert costs far more than a document).
 */
export interface BesideClaims {
  /** Inserts with the next claims: true when inserted, false when its `_id` was taken. */
  insert(mode: KeyMode, doc: BesideDocument): Promise<boolean>;
  collection<T extends BesideDocument>(mode: KeyMode): Collection<T>;
}

type Version = Pick<Idempotency, 'key' | 'fingerprint'>;
type Claim = { version: Version } | { beside: BesideDocument };

/**
 * How long claims gather before each insert. Each insert has a cost of its own, far above that
 * of one more document (on the local database): a few milliseconds, spent while a lone
 * Appointment's write is on its way anyway, make the inserts fewer. No more than that: a later
 * version's start, claimed here, decides its event's type, which its write waits for.
 */
const CLAIM_LINGER_MS = 3;

export async function openVersionKeys(db: Db): Promise<VersionKeys> {
  // Claims asked for while an insert is on its way go together in the next (one transaction on
  // the local database, where each insert of its own would take its turn).
  const claims = (collection: Collection<VersionKeyDocument>) => new Batches<Claim, boolean>((batch) => claimAll(collection, batch), 1000, CLAIM_LINGER_MS);
  const names: Record<KeyMode, string> = { live: VERSION_KEYS_COLLECTION, test: TEST_VERSION_KEYS_COLLECTION };
  const collections: Record<KeyMode, Collection<VersionKeyDocument>> = { live: db.collection(names.live), test: db.collection(names.test) };
  const byMode: Record<KeyMode, Batches<Claim, boolean>> = { live: claims(collections.live), test: claims(collections.test) };
  // Made now, not by the first claims of several processes at once (slow on the local database).
  await ensureCollection(db, VERSION_KEYS_COLLECTION);
  await ensureCollection(db, TEST_VERSION_KEYS_COLLECTION);
  return {
    async claim(mode, idempotencies, timeoutMs) {
      if (idempotencies.length === 0) return [];
      // An insert sent with no time left would be answered 503 and might still land.
      if (timeoutMs <= 0) throw new AppError('database_unavailable');
      const refused = await withinBudget(timeoutMs, Promise.all(idempotencies.map(({ key, fingerprint }) => byMode[mode].add({ version: { key, fingerprint } }))));
      return refused.flatMap((other, i) => (other ? [i] : []));
    },
    async reassign(mode, version, timeoutMs) {
      if (timeoutMs <= 0) throw new AppError('database_unavailable');
      // Only after a partner's contradictory deliveries: a scan on the local database is acceptable.
      const own = pairId(version);
      // The key first: a claim of the earlier content made after it reads the new owner and is refused.
      const handOver = async () => {
        await collections[mode].updateOne({ _id: keyId(version) }, { $set: { fp: version.fingerprint, at: new Date() } });
        await collections[mode].deleteMany({ _id: { $regex: `^${escapeRegExp(`c|${version.key}|`)}`, $ne: own } });
        await insertFresh(collections[mode], [{ _id: own, at: new Date() }]);
      };
      await withinBudget(timeoutMs, handOver());
    },
    beside: {
      insert: (mode, doc) => byMode[mode].add({ beside: doc }),
      collection: <T extends BesideDocument>(mode: KeyMode) => db.collection<T>(names[mode]),
    },
  };
}

const pairId = ({ key, fingerprint }: Version): string => `c|${key}|${fingerprint}`;
const keyId = ({ key }: Pick<Version, 'key'>): string => `k|${key}`;

/**
 * Claims each version, and inserts each claim beside them, with one insert; resolves with, for
 * each version, whether its key names other content (see VersionKeys), and for each claim
 * beside, whether it was inserted. A version sent twice in one batch gets its first answer.
 */
async function claimAll(collection: Collection<VersionKeyDocument>, claims: Claim[]): Promise<boolean[]> {
  const versions = claims.flatMap((claim) => ('version' in claim ? [claim.version] : []));
  const besides = claims.flatMap((claim) => ('beside' in claim ? [claim.beside] : []));
  const at = new Date();
  const docs = [...versions.map((version) => ({ _id: pairId(version), at })), ...versions.map((version) => ({ _id: keyId(version), fp: version.fingerprint, at })), ...besides];
  const inserted = await insertFresh(collection, docs);
  const fresh = inserted.slice(0, 2 * versions.length);
  const besideFresh = inserted.slice(2 * versions.length);
  const first = new Map<string, { version: Version; unsure: boolean }>();
  versions.forEach((version, i) => {
    if (!first.has(pairId(version))) first.set(pairId(version), { version, unsure: fresh[i]! && !fresh[versions.length + i] });
  });
  const unsure = [...first.values()].filter((v) => v.unsure).map((v) => v.version);
  const owners = new Map<string, string | undefined>();
  if (unsure.length > 0) {
    const keys = await collection.find({ _id: { $in: unsure.map(keyId) } }, { projection: { fp: 1 } }).toArray();
    for (const doc of keys) owners.set(doc._id, doc.fp);
  }
  const other = (version: Version) => first.get(pairId(version))!.unsure && owners.get(keyId(version)) !== version.fingerprint;
  const released = [...first.values()].filter((v) => other(v.version)).map((v) => pairId(v.version));
  if (released.length > 0) await collection.deleteMany({ _id: { $in: released } });
  let v = 0;
  let b = 0;
  return claims.map((claim) => ('version' in claim ? other(versions[v++]!) : besideFresh[b++]!));
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
