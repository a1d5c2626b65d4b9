import { generateApiKey, hashApiKey } from '../../src/auth/credentials';
import { registerPartner } from '../../src/auth/registerPartner';
import type { PartnerInputs, PartnerStore } from '../../src/store/partnerStore';
import { openStores, type Stores } from '../../src/store/stores';

let made = 0;

export interface PartnerOptions {
  name?: string;
  signing?: boolean;
  ratePerSecond?: number;
  /** A partner that starts with a test key. */
  mode?: 'live' | 'test';
  /** How its HL7 v2 and FHIR messages are read. */
  inputs?: PartnerInputs;
}

/** A partner registered the way the CLI does it, with its key ready as an Authorization header. */
export async function aPartner(partners: Pick<PartnerStore, 'create'>, options: PartnerOptions = {}) {
  const registered = await registerPartner(partners, { ...options, name: options.name ?? `partner-${process.pid}-${++made}` });
  return { ...registered, secret: registered.signingSecret ?? '', auth: { Authorization: `Bearer ${registered.apiKey}` } };
}

/**
 * A partner registered straight in the database `dbName` at `uri`, for a service that runs in
 * another process: the stores are opened for it and closed again.
 */
export function registerOnDatabase(uri: string, dbName: string, options: PartnerOptions = {}) {
  return withStores(uri, dbName, (stores) => aPartner(stores.partners, options));
}

/** Opens the stores of a database a server elsewhere uses, does `work`, and closes them. */
export async function withStores<T>(uri: string, dbName: string, work: (stores: Stores) => Promise<T>): Promise<T> {
  const stores = await openStores({ uri, dbName, timeoutMs: 2000 });
  try {
    return await work(stores);
  } finally {
    await stores.close();
  }
}

/** A test key for an existing partner, issued the way `partners test-key` does it, as an Authorization header. */
export async function aTestKey(partners: Pick<PartnerStore, 'addTestKey'>, name: string) {
  const apiKey = generateApiKey('test');
  await partners.addTestKey(name, hashApiKey(apiKey), new Date());
  return { apiKey, auth: { Authorization: `Bearer ${apiKey}` } };
}
