import { APPOINTMENT_STARTS_COLLECTION, startId, type StartDocument } from './appointmentStarts';
import { insertFresh, isDuplicateKey } from './dbErrors';
import type { Db } from 'mongodb';
import type { KeyMode } from './partnerStore';
import { TEST_VERSION_KEYS_COLLECTION, VERSION_KEYS_COLLECTION } from './versionKeys';

/**
 * FHIR starts joined the version claims (see BesideClaims): each start kept apart moves into its
 * mode's claims, under its new `_id` (where this build recorded one meanwhile, the newer stays),
 * and the old collection goes. Safe to repeat; a service's workers start together and each runs
 * it: the first to finish drops the collection under the others' reads, which find it gone.
 */
export async function moveStartsToClaims(places: { starts: Db; versionKeys: Db }): Promise<void> {
  const from = places.starts.collection<Omit<StartDocument, 'at'>>(APPOINTMENT_STARTS_COLLECTION);
  const to = { live: places.versionKeys.collection<StartDocument>(VERSION_KEYS_COLLECTION), test: places.versionKeys.collection<StartDocument>(TEST_VERSION_KEYS_COLLECTION) };
  const batch: Record<KeyMode, StartDocument[]> = { live: [], test: [] };
  const flush = async () => {
    for (const mode of ['live', 'test'] as const) {
      const docs = batch[mode].splice(0);
      const fresh = docs.length > 0 ? await insertFresh(to[mode], docs) : [];
      const taken = docs.filter((_, i) => !fresh[i]);
      const there = new Map(taken.length > 0 ? (await to[mode].find({ _id: { $in: taken.map((d) => d._id) } }).toArray()).map((d) => [d._id, d.as_of]) : []);
      // Only where older (or gone since): replaced only if still older, written again if gone.
      for (const doc of taken.filter((d) => !(d.as_of <= (there.get(d._id) ?? 0)))) {
        await to[mode].replaceOne({ _id: doc._id, as_of: { $lt: doc.as_of } }, doc, { upsert: true }).catch(unlessDuplicate);
      }
    }
  };
  try {
    for await (const doc of from.find({})) {
      const [mode, partner, appointmentId] = JSON.parse(doc._id) as [KeyMode, string, string];
      batch[mode].push({ ...doc, _id: startId(partner, appointmentId), at: new Date() });
      if (batch.live.length + batch.test.length >= 1000) await flush();
    }
    await flush();
  } catch (err) {
    const left = await places.starts.listCollections({ name: APPOINTMENT_STARTS_COLLECTION }, { nameOnly: true }).toArray();
    if (left.length > 0) throw err;
    return;
  }
  await from.drop(); // one already dropped answers false, no error
}

const unlessDuplicate = (err: unknown): void => {
  if (!isDuplicateKey(err)) throw err; // a newer start is there: it stays
};
