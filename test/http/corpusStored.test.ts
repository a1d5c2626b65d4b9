/**
 * Every fixture of both corpora (test/fixtures/hl7v2/, test/fixtures/fhir/) delivered to the
 * running service, each by a partner of its own, against expected.json: what is stored (read back
 * from the database), or the refusal's status with nothing stored. The unit corpus tests check the
 * readers; this checks the whole way to storage, where a FHIR booking can become a move
 * (`storedType`, when the stored type differs from the one read).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '../../src/errorCatalogue';
import { rawRequest } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const FIXTURES = join(__dirname, '..', 'fixtures');

interface ExpectedEvent {
  event: { event_type: string; appointment_id: string; patient_id: string; timestamp: string; notes: string | null };
  controlId?: string;
  /** The type stored, where the service decides another than the one read (a FHIR booking that moved). */
  storedType?: string;
}
interface Expected extends Partial<ExpectedEvent> {
  events?: ExpectedEvent[];
  patientIdType?: string;
  identifierSystem?: string;
  error?: { code: ErrorCode };
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

function corpus(format: 'hl7v2' | 'fhir') {
  const dir = join(FIXTURES, format);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>;
  const names = readdirSync(dir).filter((name) => name !== 'expected.json');
  return { dir, expected, names };
}

/** What each stored event of a partner holds that the fixture decides, oldest first. */
async function storedOf(partner: string) {
  const docs = await app.events.find({ partner }).sort({ event_id: 1 }).toArray();
  return docs.map((d) => ({
    event_type: d.event_type,
    appointment_id: d.appointment_id,
    patient_id: d.patient_id,
    timestamp: d.timestamp_text,
    notes: d.notes,
    format: d.format,
    control_id: d.control_id ?? undefined,
  }));
}

const wanted = (want: Expected, format: string) =>
  (want.events ?? (want.event ? [{ event: want.event, controlId: want.controlId, storedType: want.storedType }] : [])).map((e) => ({
    ...e.event,
    event_type: e.storedType ?? e.event.event_type,
    format,
    control_id: e.controlId,
  }));

async function deliver(format: 'hl7v2' | 'fhir', dir: string, name: string, want: Expected) {
  const { name: partner, auth } = await aPartner(app.partners, {
    inputs: { ...(want.patientIdType ? { hl7PatientIdType: want.patientIdType } : {}), ...(want.identifierSystem ? { fhirIdentifierSystem: want.identifierSystem } : {}) },
  });
  const contentType = format === 'hl7v2' ? 'application/hl7-v2' : 'application/fhir+json';
  // The bytes as they are: an encoding a fixture tries must reach the service unchanged.
  const res = await rawRequest(`${app.url}/webhook/appointment/${format}`, { body: readFileSync(join(dir, name)), headers: { 'Content-Type': contentType, ...auth } });
  return { res, partner };
}

describe.each(['hl7v2', 'fhir'] as const)('the %s corpus, delivered and stored', (format) => {
  const { dir, expected, names } = corpus(format);

  test.each(names)('when %s is delivered, then what is stored is what expected.json names, or it is refused with nothing stored', async (name) => {
    const want = expected[name]!;
    const { res, partner } = await deliver(format, dir, name, want);
    const stored = await storedOf(partner);
    if (want.error) {
      expect(res.status).toBe(ERROR_CODES[want.error.code].status);
      expect(stored).toEqual([]);
      return;
    }
    const events = wanted(want, format);
    expect(res.status).toBe(events.length > 0 ? 201 : 200);
    expect(stored).toEqual(events);
  });
});
