import { registerPartner } from '../../src/auth/registerPartner';
import type { PartnerStore } from '../../src/store/partnerStore';

let made = 0;

/** A partner registered the way the CLI does it, with its key ready as an Authorization header. */
export async function aPartner(partners: Pick<PartnerStore, 'create'>, options: { name?: string; signing?: boolean; ratePerSecond?: number } = {}) {
  const registered = await registerPartner(partners, { ...options, name: options.name ?? `partner-${process.pid}-${++made}` });
  return { ...registered, secret: registered.signingSecret ?? '', auth: { Authorization: `Bearer ${registered.apiKey}` } };
}
