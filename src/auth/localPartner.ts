import { registerPartner } from './registerPartner';
import type { PartnerStore } from '../store/partnerStore';

/**
 * On the local database only: with no partner yet, create one named "local" so the guide's
 * examples work at once. The key goes to the console once, never to the JSON logs.
 */
export async function ensureLocalPartner(partners: PartnerStore, url: string): Promise<void> {
  if ((await partners.count()) > 0) return;
  const { apiKey } = await registerPartner(partners, { name: 'local' });
  console.error(
    [
      '',
      'No partner existed on the local database, so a partner named "local" was created.',
      `Its API key, shown this once: ${apiKey}`,
      `Try: curl -X POST ${url}/webhook/appointment -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
      `       -d '{"event_type":"appointment.scheduled","appointment_id":"A12345","patient_id":"P8765","timestamp":"2025-01-10T12:30:00Z"}'`,
      'More partners: npm run partners -- add <name>',
      '',
    ].join('\n'),
  );
}
