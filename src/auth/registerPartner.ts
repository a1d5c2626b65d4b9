import type { PartnerInputs, PartnerStore } from '../store/partnerStore';
import { generateApiKey, generateSigningSecret, hashApiKey } from './credentials';

export interface RegisteredPartner {
  name: string;
  /** Shown once: only its digest is stored. */
  apiKey: string;
  /** `whsec_…` when the partner signs its requests. */
  signingSecret?: string;
}

/** Issues a partner's credentials and stores the partner: the one way a partner comes to exist. */
export async function registerPartner(
  partners: Pick<PartnerStore, 'create'>,
  options: { name: string; signing?: boolean; ratePerSecond?: number; mode?: 'live' | 'test'; inputs?: PartnerInputs },
  now = new Date(),
): Promise<RegisteredPartner> {
  const apiKey = generateApiKey(options.mode);
  const signingSecret = options.signing ? generateSigningSecret() : undefined;
  await partners.create({ name: options.name, keyHash: hashApiKey(apiKey), mode: options.mode, signingSecret, ratePerSecond: options.ratePerSecond, inputs: options.inputs }, now);
  return { name: options.name, apiKey, signingSecret };
}
