import { createHash } from 'node:crypto';
import { FINGERPRINTED_FIELDS, payloadFingerprint } from '../../src/idempotency';
import { toUnnumberedDocument, type AppointmentEvent } from '../../src/store/eventDocument';
import { eventFields } from '../helpers/spec';

const EVENT: AppointmentEvent = {
  event_type: 'appointment.completed',
  appointment_id: 'A-fields',
  patient_id: 'P-fields',
  timestamp: '2025-01-10T08:30:00.250-04:00',
  notes: 'notes-fields',
};

describe('per-field code follows the spec', () => {
  test('when the spec is read, then the sample event sets every field it defines', () => {
    expect(Object.keys(EVENT).sort()).toEqual(eventFields().sort());
  });

  test('when the fingerprint is taken, then it covers every field of the spec, in the order stored fingerprints were made with', () => {
    expect([...FINGERPRINTED_FIELDS].sort()).toEqual(eventFields().sort());
    // Fingerprints already stored must keep matching: this is how they were computed.
    const legacy = createHash('sha256')
      .update(JSON.stringify(['p', EVENT.event_type, EVENT.appointment_id, EVENT.patient_id, '1736512200.25', EVENT.notes]))
      .digest('hex');
    expect(payloadFingerprint('p', EVENT)).toBe(legacy);
  });

  test('when an event is turned into a document, then every field of the spec is stored', () => {
    const doc = toUnnumberedDocument(EVENT, new Date(0), 'p', { key: 'k', fingerprint: 'f' });
    expect(doc).toMatchObject({
      event_type: EVENT.event_type,
      appointment_id: EVENT.appointment_id,
      patient_id: EVENT.patient_id,
      timestamp: new Date('2025-01-10T12:30:00.250Z'),
      timestamp_text: EVENT.timestamp,
      notes: EVENT.notes,
    });
    const storedValues = Object.values(doc).map(String);
    for (const field of eventFields()) expect([field, storedValues.includes(String(EVENT[field as keyof AppointmentEvent]))]).toEqual([field, true]);
  });
});
