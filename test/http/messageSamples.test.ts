import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { spec } from '../helpers/spec';
import { runShellSample } from '../helpers/shellSample';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const HL7 = '/webhook/appointment/hl7v2';
const FHIR = '/webhook/appointment/fhir';

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
  dir = mkdtempSync(join(tmpdir(), 'message-samples-'));
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a published shell sample with only the variables the guide names. */
const run = (source: string, env: Record<string, string>) => runShellSample(dir, app.url, source, env);

const sampleOf = (path: string): string => spec.paths[path].post['x-codeSamples'].find((s: { lang: string }) => s.lang === 'Shell').source;

/** Every request example of an operation, by media type and name. */
function examplesOf(path: string): [string, string, unknown][] {
  const resolveExample = (example: { $ref?: string; value?: unknown }) =>
    example.$ref ? spec.components.examples[example.$ref.split('/').pop()!].value : example.value;
  return Object.entries<{ examples: Record<string, { $ref?: string; value?: unknown }> }>(spec.paths[path].post.requestBody.content).flatMap(([mediaType, content]) =>
    Object.entries(content.examples).map(([name, example]) => [mediaType, name, resolveExample(example)] as [string, string, unknown]),
  );
}

describe('the published HL7 v2 and FHIR samples and examples', () => {
  test('when the HL7 v2 cURL sample runs, then it prints an AA acknowledgement and its S12 is stored as a scheduled event', async () => {
    const partner = await aPartner(app.partners);
    const result = await run(sampleOf(HL7), { API_KEY: partner.apiKey });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^201\nMSH\|\^~\\&\|APPTWH\|RECEIVER\|CLINICSCHED\|NORTHSIDE\|/);
    expect(result.stdout).toMatch(/^MSA\|AA\|NS-\d{14}-\d+\|event \d+ stored$/m);
    expect(await app.events.findOne({ partner: partner.name })).toMatchObject({ event_type: 'appointment.scheduled', appointment_id: 'A12345', patient_id: 'P8765', notes: 'Initial consultation - new patient', format: 'hl7v2' });
  });

  test('when the FHIR cURL sample runs twice, then it prints the stored event, and the second run the same event as a replay', async () => {
    const partner = await aPartner(app.partners);
    const first = await run(sampleOf(FHIR), { API_KEY: partner.apiKey });
    expect(first.stderr).toBe('');
    const [status, body] = [first.stdout.slice(0, 3), JSON.parse(first.stdout.slice(4))];
    expect(status).toBe('201');
    expect(body.events).toEqual([expect.objectContaining({ replayed: false, data: { event_type: 'appointment.scheduled', appointment_id: 'A12345', patient_id: 'P8765' } })]);
    const second = await run(sampleOf(FHIR), { API_KEY: partner.apiKey });
    expect(JSON.parse(second.stdout.slice(4)).events).toEqual([{ ...body.events[0], replayed: true }]);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
  });

  test.each(examplesOf(HL7))('when the HL7 v2 request example (%s, %s) is sent, then it is stored and acknowledged AA', async (mediaType, _name, example) => {
    const partner = await aPartner(app.partners);
    const res = await send(`${app.url}${HL7}`, { method: 'POST', headers: { ...partner.auth, 'Content-Type': mediaType }, body: String(example) });
    expect(res.status).toBe(201);
    expect(res.text).toMatch(/\rMSA\|AA\|NS-2025010[69]-00(01|42)\|/);
    expect(await app.events.countDocuments({ partner: partner.name, appointment_id: 'A12345', patient_id: 'P8765' })).toBe(1);
  });

  test.each(examplesOf(FHIR))('when the FHIR request example (%s, %s) is sent, then its appointment is stored', async (mediaType, _name, example) => {
    const partner = await aPartner(app.partners);
    const res = await send(`${app.url}${FHIR}`, { method: 'POST', headers: { ...partner.auth, 'Content-Type': mediaType }, body: JSON.stringify(example) });
    expect(res.status).toBe(201);
    expect(res.body.events).toEqual([expect.objectContaining({ data: expect.objectContaining({ appointment_id: 'A12345', patient_id: 'P8765' }) })]);
  });
});
