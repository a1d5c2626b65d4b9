import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anEvent, without } from '../helpers/builders';
import { post } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { spec } from '../helpers/spec';
import { runShellSample } from '../helpers/shellSample';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

interface Sample {
  lang: string;
  label: string;
  source: string;
}

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
  dir = mkdtempSync(join(tmpdir(), 'delivery-samples-'));
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

const shellSamples = (path: string, method: 'get' | 'post'): Sample[] => spec.paths[path][method]['x-codeSamples'].filter((s: Sample) => s.lang === 'Shell');

/** Runs a published shell sample with only the variables the guide names. */
const run = (sample: Sample, env: Record<string, string>) => runShellSample(dir, app.url, sample.source, env);

describe('the samples of Test mode and Your deliveries', () => {
  test.each(shellSamples('/webhook/appointment', 'post').map((s) => [s.label, s] as const))('when the delivery sample "%s" runs with a test key, then it works unchanged and its event is stored in test mode', async (label, sample) => {
    const tester = await aPartner(app.partners, { mode: 'test', signing: !/unsigned/i.test(label) });
    const result = await run(sample, { API_KEY: tester.apiKey, SIGNING_SECRET: tester.secret });
    expect(result.stderr).toBe('');
    const eventId = Number(/^201 event_id=(\d+) replayed=false$/m.exec(result.stdout)?.[1]);
    expect(await app.db.collection(TEST_EVENTS_COLLECTION).countDocuments({ event_id: eventId, partner: tester.name })).toBe(1);
    expect(await app.events.countDocuments({ partner: tester.name })).toBe(0);
  });

  test('when a partner runs the deliveries sample after a refusal, then it prints its refused delivery with the error’s loc and type', async () => {
    const partner = await aPartner(app.partners);
    const refused = await post(app.endpoint, without(anEvent(), 'patient_id'), partner.auth);
    await app.stores.deliveryLog!.flush();
    const [sample] = shellSamples('/webhook/deliveries', 'get');
    const result = await run(sample!, { API_KEY: partner.apiKey });
    expect(result.code).toBe(0);
    const page = JSON.parse(result.stdout);
    expect(page.data).toEqual([expect.objectContaining({ request_id: refused.headers.get('x-request-id'), status: 422, errors: [{ loc: ['body', 'patient_id'], type: 'value_error.missing' }] })]);
  });

  test('when a partner runs the lookup samples, then they print the event stored under its webhook-id and under its event_id', async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const body = JSON.stringify(anEvent({ appointment_id: 'SAMPLE-LOOKUP' }));
    const sent = await post(app.endpoint, body, { ...signer.auth, ...signedHeaders(signer.secret, body, { id: 'msg_sample_lookup' }) });
    const [byKey] = shellSamples('/webhook/events', 'get');
    const [byId] = shellSamples('/webhook/events/{event_id}', 'get');
    const found = await run(byKey!, { API_KEY: signer.apiKey, WEBHOOK_ID: 'msg_sample_lookup' });
    const read = await run(byId!, { API_KEY: signer.apiKey, EVENT_ID: String(sent.body.event_id) });
    expect(JSON.parse(found.stdout)).toMatchObject({ event_id: sent.body.event_id, appointment_id: 'SAMPLE-LOOKUP', mode: 'live' });
    expect(JSON.parse(read.stdout)).toEqual(JSON.parse(found.stdout));
  });
});
