import fc from 'fast-check';
import { send } from '../helpers/http';
import { aNotification, anAppointment, anSiuMessage } from '../helpers/messageBuilders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

/** A valid message with a few characters replaced, inserted or removed at random places. */
const mutated = (text: string) =>
  fc
    .array(fc.record({ at: fc.nat({ max: text.length }), cut: fc.nat({ max: 3 }), insert: fc.string({ unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', '"', 'x', '9', '+', 'é', '\u0000', '\ud800') }) }), { minLength: 1, maxLength: 4 })
    .map((edits) => edits.reduce((t, e) => t.slice(0, e.at) + e.insert + t.slice(e.at + e.cut), text));

/** JSON values in place of the parts of an Appointment, or whole resources turned inside out. */
const mangledFhir = fc.oneof(
  fc.record({ key: fc.constantFrom('status', 'participant', 'meta', 'id', 'start', 'comment', 'identifier', 'resourceType'), value: fc.jsonValue() }).map(({ key, value }) => ({ ...anAppointment(), [key]: value })),
  fc.jsonValue().map((value) => aNotification([anAppointment(), { resourceType: 'Appointment', status: 'booked', participant: [{ actor: value, status: 'accepted' }] }])),
  fc.jsonValue(),
);

describe('damaged messages over HTTP', () => {
  test('when an HL7 v2 message is damaged anywhere, then the reply is an HL7 acknowledgement with a 2xx or 4xx, never a 5xx', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(mutated(anSiuMessage({ note: 'Note \\F\\ with escapes' }).text), async (text) => {
        const res = await send(`${app.url}/webhook/appointment/hl7v2`, { method: 'POST', headers: { ...app.auth, 'Content-Type': 'application/hl7-v2' }, body: text });
        statuses.add(res.status);
        expect(res.status).toBeLessThan(500);
        expect(res.text).toMatch(/^MSH\|\^~\\&\|[^\r]*\rMSA\|(AA|AE|AR)\|/);
      }),
      { numRuns: 80, seed: 20261206 },
    );
    // The damage is varied enough to reach both sides: stored messages and refused ones.
    expect([...statuses].some((s) => s < 300) && [...statuses].some((s) => s >= 400)).toBe(true);
  });

  test('when a FHIR body is damaged anywhere, then the reply is a 2xx or an OperationOutcome with a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mangledFhir, async (body) => {
        const res = await send(`${app.url}/webhook/appointment/fhir`, { method: 'POST', headers: { ...app.auth, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body) });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
      }),
      { numRuns: 80, seed: 20261206 },
    );
  });
});
