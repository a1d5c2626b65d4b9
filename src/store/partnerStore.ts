// Over 200 lines: partners and their keys are one store (two collections kept consistent together); splitting the interface from its one implementation would only add a file to read.
import type { Db } from 'mongodb';
import { isDuplicateKey, maxTimeMS, toAppError } from './dbErrors';
import { NoSigningSecretError, PartnerExistsError, PartnerNotFoundError } from './partnerErrors';
import type { PartnerInputs } from './partnerInputs';

export type { PartnerInputs } from './partnerInputs';

export const PARTNERS_COLLECTION = 'partners';
export const PARTNER_KEYS_COLLECTION = 'partner_keys';

interface PartnerDocument {
  _id: string; // the partner's name
  created_at: Date;
  revoked_at: Date | null;
  rate_per_second: number | null;
  signing_secrets: { secret: string; created_at: Date; expires_at: Date | null }[];
  /** Absent until set: the defaults apply. */
  inputs?: PartnerInputs;
}


/** One API key, stored only as its SHA-256 (the _id, so a lookup is one indexed read). */
interface KeyDocument {
  _id: string;
  partner: string;
  created_at: Date;
  expires_at: Date | null;
  /** Absent on live keys (and on every key issued before test mode). */
  mode?: 'test';
}

/** Live keys deliver patient data; test keys' events are stored apart and expire (see docs/test-mode.md). */
export type KeyMode = 'live' | 'test';

const modeOf = (key: KeyDocument): KeyMode => key.mode ?? 'live';
const modeFilter = (mode: KeyMode) => (mode === 'test' ? { mode: 'test' as const } : { mode: { $exists: false } });

/** What authentication needs to know about the partner behind a key. */
export interface PartnerCredentials {
  name: string;
  keyHash: string;
  keyExpiresAt: Date | null;
  mode: KeyMode;
  signingSecrets: { secret: string; expiresAt: Date | null }[];
  ratePerSecond: number | null;
  inputs: PartnerInputs;
}

export interface PartnerSummary {
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  ratePerSecond: number | null;
  signing: boolean;
  activeKeys: number;
  activeTestKeys: number;
  inputs: PartnerInputs;
}

export interface PartnerStore {
  /**
   * The partners behind these key hashes, in two queries whatever their number; a hash whose key
   * is unknown, or whose partner is revoked, is absent from the result.
   */
  findByKeyHashes(keyHashes: readonly string[]): Promise<Map<string, PartnerCredentials>>;
  /** The digest of every key stored (revoked partners have none; keys in a grace period do). */
  listKeyHashes(): Promise<string[]>;
  /** A new partner with its first key (a test key for a partner that starts in test mode). */
  create(input: { name: string; keyHash: string; mode?: KeyMode; signingSecret?: string; ratePerSecond?: number; inputs?: PartnerInputs }, now: Date): Promise<void>;
  /** Replaces how the partner's HL7 v2 and FHIR messages are read (within AUTH_CACHE_TTL_MS). */
  setInputs(name: string, inputs: PartnerInputs): Promise<void>;
  list(): Promise<PartnerSummary[]>;
  count(): Promise<number>;
  /** Adds a key of this mode; the partner's current keys of that mode stop working at `previousUntil`. */
  rotateKey(name: string, keyHash: string, previousUntil: Date, now: Date, mode?: KeyMode): Promise<void>;
  /** Adds a test key; the partner's other keys are untouched. */
  addTestKey(name: string, keyHash: string, now: Date): Promise<void>;
  /** Every active partner's name (for the operator console). */
  activeNames(maxTimeMs: number): Promise<string[]>;
  /** Adds a signing secret; the current ones stop working at `previousUntil`. */
  rotateSecret(name: string, secret: string, previousUntil: Date, now: Date): Promise<void>;
  revoke(name: string, now: Date): Promise<void>;
}

export async function openPartnerStore(db: Db): Promise<PartnerStore> {
  const partners = db.collection<PartnerDocument>(PARTNERS_COLLECTION);
  const keys = db.collection<KeyDocument>(PARTNER_KEYS_COLLECTION);
  await keys.createIndex({ partner: 1 }, { name: 'partner' });

  async function active(name: string): Promise<PartnerDocument> {
    const partner = await partners.findOne({ _id: name });
    if (!partner || partner.revoked_at) throw new PartnerNotFoundError(name);
    return partner;
  }

  return {
    async findByKeyHashes(keyHashes) {
      // On the request path: a database failure here is a 503, not a refused key.
      const found = new Map<string, PartnerCredentials>();
      try {
        const keyDocs = await keys.find({ _id: { $in: [...keyHashes] } }).toArray();
        if (keyDocs.length === 0) return found;
        const names = [...new Set(keyDocs.map((k) => k.partner))];
        const partnerDocs = await partners.find({ _id: { $in: names } }).toArray();
        const byName = new Map(partnerDocs.map((p) => [p._id, p]));
        for (const key of keyDocs) {
          const partner = byName.get(key.partner);
          if (!partner || partner.revoked_at) continue;
          found.set(key._id, {
            name: partner._id,
            keyHash: key._id,
            keyExpiresAt: key.expires_at,
            mode: modeOf(key),
            signingSecrets: partner.signing_secrets.map((s) => ({ secret: s.secret, expiresAt: s.expires_at })),
            ratePerSecond: partner.rate_per_second,
            inputs: partner.inputs ?? {},
          });
        }
      } catch (err) {
        throw toAppError(err);
      }
      return found;
    },

    async listKeyHashes() {
      try {
        return (await keys.find({}, { projection: { _id: 1 } }).toArray()).map((k) => k._id);
      } catch (err) {
        throw toAppError(err);
      }
    },

    async create({ name, keyHash, mode, signingSecret, ratePerSecond, inputs }, now) {
      try {
        await partners.insertOne({
          _id: name,
          created_at: now,
          revoked_at: null,
          rate_per_second: ratePerSecond ?? null,
          signing_secrets: signingSecret ? [{ secret: signingSecret, created_at: now, expires_at: null }] : [],
          ...(inputs && Object.keys(inputs).length > 0 ? { inputs } : {}),
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw new PartnerExistsError(name);
        throw err;
      }
      await keys.insertOne(keyDocument(keyHash, name, now, mode ?? 'live'));
    },

    async list() {
      const all = await partners.find({}).sort({ _id: 1 }).toArray();
      const now = new Date();
      const live = await keys.find({ $or: [{ expires_at: null }, { expires_at: { $gt: now } }] }).toArray();
      return all.map((p) => ({
        name: p._id,
        createdAt: p.created_at,
        revokedAt: p.revoked_at,
        ratePerSecond: p.rate_per_second,
        signing: p.signing_secrets.length > 0,
        activeKeys: p.revoked_at ? 0 : live.filter((k) => k.partner === p._id && modeOf(k) === 'live').length,
        activeTestKeys: p.revoked_at ? 0 : live.filter((k) => k.partner === p._id && modeOf(k) === 'test').length,
        inputs: p.inputs ?? {},
      }));
    },

    count: () => partners.countDocuments(),

    async rotateKey(name, keyHash, previousUntil, now, mode = 'live') {
      await active(name);
      await keys.deleteMany({ partner: name, expires_at: { $lte: now } });
      await keys.updateMany(
        { partner: name, ...modeFilter(mode), $or: [{ expires_at: null }, { expires_at: { $gt: previousUntil } }] },
        { $set: { expires_at: previousUntil } },
      );
      await keys.insertOne(keyDocument(keyHash, name, now, mode));
    },

    async addTestKey(name, keyHash, now) {
      await active(name);
      await keys.insertOne(keyDocument(keyHash, name, now, 'test'));
    },

    async activeNames(maxTimeMs) {
      try {
        return (await partners.find({ revoked_at: null }, { projection: { _id: 1 }, maxTimeMS: maxTimeMS(maxTimeMs) }).toArray()).map((p) => p._id).sort();
      } catch (err) {
        throw toAppError(err);
      }
    },

    async rotateSecret(name, secret, previousUntil, now) {
      const partner = await active(name);
      if (partner.signing_secrets.length === 0) throw new NoSigningSecretError(name);
      const kept = partner.signing_secrets
        .filter((s) => s.expires_at === null || s.expires_at > now)
        .map((s) => ({ ...s, expires_at: s.expires_at && s.expires_at < previousUntil ? s.expires_at : previousUntil }));
      await partners.updateOne(
        { _id: name },
        { $set: { signing_secrets: [...kept, { secret, created_at: now, expires_at: null }] } },
      );
    },

    async setInputs(name, inputs) {
      await active(name);
      await partners.updateOne({ _id: name }, Object.keys(inputs).length > 0 ? { $set: { inputs } } : { $unset: { inputs: '' } });
    },

    async revoke(name, now) {
      await active(name);
      await partners.updateOne({ _id: name }, { $set: { revoked_at: now } });
      await keys.deleteMany({ partner: name });
    },
  };
}

function keyDocument(keyHash: string, partner: string, now: Date, mode: KeyMode): KeyDocument {
  return { _id: keyHash, partner, created_at: now, expires_at: null, ...(mode === 'test' ? { mode } : {}) };
}
