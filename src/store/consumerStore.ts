import type { Db } from 'mongodb';
import { isDuplicateKey, toAppError } from './dbErrors';

export const CONSUMERS_COLLECTION = 'consumers';

/**
 * One consumer: who may read events, and through which token. The token is stored only as its
 * SHA-256; after a rotation the one before it works until `previous_valid_until`.
 */
interface ConsumerDocument {
  name: string;
  token_digest: string;
  previous_token_digest?: string;
  previous_valid_until?: Date;
  /** The partners whose events it may read; null: every partner's. */
  partners: string[] | null;
  created_at: Date;
  revoked_at?: Date;
}

/** What a token gives: who reads, what, and until when (null: until rotated or revoked). */
export interface ConsumerGrant {
  name: string;
  partners: string[] | null;
  validUntil: Date | null;
}

export interface ConsumerSummary {
  name: string;
  partners: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
  /** When the token before the last rotation stops working; null when none works any more. */
  previousValidUntil: Date | null;
}

export class ConsumerNotFoundError extends Error {
  constructor(name: string) {
    super(`no active consumer named "${name}"`);
  }
}

export class ConsumerExistsError extends Error {
  constructor(name: string) {
    super(`a consumer named "${name}" already exists`);
  }
}

export interface ConsumerStore {
  /** The consumer behind one token digest; null when unknown, revoked, or rotated out past its grace. */
  findByTokenDigest(digest: string, now?: Date): Promise<ConsumerGrant | null>;
  /** The same for many digests in one query; a digest that gives nothing is absent. */
  findByTokenDigests(digests: readonly string[], now?: Date): Promise<Map<string, ConsumerGrant>>;
  /** Every digest that gives access now (current tokens, and previous ones within their grace). */
  listTokenDigests(now?: Date): Promise<string[]>;
  add(name: string, tokenDigest: string, partners: readonly string[] | null, now?: Date): Promise<void>;
  /** Every consumer, revoked ones too, by name; never a digest. */
  list(now?: Date): Promise<ConsumerSummary[]>;
  /** Replaces the token; the current one works until `graceUntil`, and any older one stops at once. */
  rotate(name: string, tokenDigest: string, graceUntil: Date): Promise<void>;
  revoke(name: string, now?: Date): Promise<void>;
}

const ACTIVE = { revoked_at: { $exists: false } };

export async function openConsumerStore(db: Db): Promise<ConsumerStore> {
  const consumers = db.collection<ConsumerDocument>(CONSUMERS_COLLECTION);
  await consumers.createIndex({ name: 1 }, { name: 'name', unique: true });
  await consumers.createIndex({ token_digest: 1 }, { name: 'token_digest', unique: true });
  await consumers.createIndex({ previous_token_digest: 1 }, { name: 'previous_token_digest' });

  async function findByTokenDigests(digests: readonly string[], now = new Date()): Promise<Map<string, ConsumerGrant>> {
    // On the request path: a database failure here is a 503, not a refused token.
    const found = new Map<string, ConsumerGrant>();
    const wanted = [...digests];
    try {
      const docs = await consumers
        .find({
          ...ACTIVE,
          $or: [{ token_digest: { $in: wanted } }, { previous_token_digest: { $in: wanted }, previous_valid_until: { $gt: now } }],
        })
        .toArray();
      for (const doc of docs) {
        const grant = (validUntil: Date | null) => ({ name: doc.name, partners: doc.partners ? [...doc.partners] : null, validUntil });
        if (wanted.includes(doc.token_digest)) found.set(doc.token_digest, grant(null));
        const previous = doc.previous_token_digest;
        if (previous && doc.previous_valid_until && doc.previous_valid_until > now && wanted.includes(previous)) {
          found.set(previous, grant(doc.previous_valid_until));
        }
      }
    } catch (err) {
      throw toAppError(err);
    }
    return found;
  }

  return {
    findByTokenDigests,

    async findByTokenDigest(digest, now) {
      return (await findByTokenDigests([digest], now)).get(digest) ?? null;
    },

    async listTokenDigests(now = new Date()) {
      try {
        const docs = await consumers.find(ACTIVE, { projection: { _id: 0, token_digest: 1, previous_token_digest: 1, previous_valid_until: 1 } }).toArray();
        return docs.flatMap((d) => [
          d.token_digest,
          ...(d.previous_token_digest && d.previous_valid_until && d.previous_valid_until > now ? [d.previous_token_digest] : []),
        ]);
      } catch (err) {
        throw toAppError(err);
      }
    },

    async add(name, tokenDigest, partners, now = new Date()) {
      try {
        await consumers.insertOne({ name, token_digest: tokenDigest, partners: partners ? [...partners] : null, created_at: now });
      } catch (err) {
        if (isDuplicateKey(err) && (await consumers.countDocuments({ name })) > 0) throw new ConsumerExistsError(name);
        throw err;
      }
    },

    async list(now = new Date()) {
      const all = await consumers
        .find({}, { projection: { _id: 0, name: 1, partners: 1, created_at: 1, revoked_at: 1, previous_valid_until: 1 } })
        .sort({ name: 1 })
        .toArray();
      return all.map((c) => ({
        name: c.name,
        partners: c.partners,
        createdAt: c.created_at,
        revokedAt: c.revoked_at ?? null,
        previousValidUntil: c.previous_valid_until && c.previous_valid_until > now && !c.revoked_at ? c.previous_valid_until : null,
      }));
    },

    async rotate(name, tokenDigest, graceUntil) {
      // Compare-and-set on the current digest: of two rotations at once, the later one makes the
      // earlier one's new token its previous, so no issued token goes missing without a trace.
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await consumers.findOne({ name, ...ACTIVE }, { projection: { token_digest: 1 } });
        if (!current) throw new ConsumerNotFoundError(name);
        const { matchedCount } = await consumers.updateOne(
          { name, token_digest: current.token_digest, ...ACTIVE },
          { $set: { token_digest: tokenDigest, previous_token_digest: current.token_digest, previous_valid_until: graceUntil } },
        );
        if (matchedCount === 1) return;
      }
      throw new Error(`consumer "${name}" changed while its token was being rotated; try again`);
    },

    async revoke(name, now = new Date()) {
      const { matchedCount } = await consumers.updateOne(
        { name, ...ACTIVE },
        { $set: { revoked_at: now }, $unset: { previous_token_digest: '', previous_valid_until: '' } },
      );
      if (matchedCount === 0) throw new ConsumerNotFoundError(name);
    },
  };
}
