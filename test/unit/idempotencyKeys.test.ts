import { createHash } from 'node:crypto';
import type { AppointmentEvent } from '../../src/store/eventDocument';
import { explicitKeyDigest, idempotencyOf } from '../../src/idempotency';

const event: AppointmentEvent = { event_type: 'appointment.scheduled', appointment_id: 'A1', patient_id: 'P1', timestamp: '2025-01-10T12:30:00Z' };
/** The stored key as every release has written it: a change here would store retries of old deliveries twice. */
const stored = (partner: string, key: string) => createHash('sha256').update(JSON.stringify([partner, 'key', key])).digest('hex');

describe('idempotency keys', () => {
  test('when a webhook-id is quoted, then it is kept as sent: "abc" and abc are two deliveries', () => {
    const quoted = idempotencyOf('acme', event, { webhookId: '"abc"' }).key;
    expect(quoted).toBe(stored('acme', '"abc"'));
    expect(idempotencyOf('acme', event, { webhookId: 'abc' }).key).toBe(stored('acme', 'abc'));
  });

  test('when an Idempotency-Key is quoted, then it is the bare key, as the guide says', () => {
    expect(idempotencyOf('acme', event, { idempotencyKey: '"abc"' }).key).toBe(stored('acme', 'abc'));
    expect(explicitKeyDigest('acme', 'abc')).toBe(stored('acme', 'abc'));
  });
});
