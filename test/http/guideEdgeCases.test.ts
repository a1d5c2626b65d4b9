import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { anEvent } from '../helpers/builders';
import { post, rawSocket } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());
afterEach(async () => expect(await app.events.countDocuments()).toBe(0));

/** The rows of the guide's "Edge cases" table, as the partner reads them. */
function guideRows(): { request: string; status: number; type: string; loc: unknown }[] {
  const text = readFileSync(join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');
  const section = text.slice(text.indexOf('### Edge cases'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| Request') && !line.startsWith('| ---'))
    .map((line) => {
      const [request, status, type, loc] = line.split(' | ').map((cell) => cell.replace(/^\| |`| \|$/g, '').trim());
      return { request: request!, status: Number(status), type: type!, loc: JSON.parse(loc!.replace('<field>', 'patient_id')) as unknown };
    });
}

/** Sends each body; all must get the same reply, which is returned. */
async function same(...bodies: unknown[]) {
  const replies = [];
  for (const body of bodies) replies.push(await app.post(body));
  for (const reply of replies) expect({ status: reply.status, body: reply.body }).toEqual({ status: replies[0]!.status, body: replies[0]!.body });
  return replies[0]!;
}

/** How to send each case the guide lists; a row without one fails the test. */
const REQUESTS: Record<string, () => Promise<{ status: number; body: any }>> = {
  'Transfer-Encoding: gzip, chunked (any coding but chunked)': () => {
    const body = JSON.stringify(anEvent());
    const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    return rawSocket(
      app.endpoint,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${chunked}`,
    );
  },
  'An empty body (no bytes at all)': () => app.post(''),
  'A body of only spaces': () => app.post('   '),
  'An Idempotency-Key with a space, a control character, or more than 256 characters': async () => {
    const replies = [await app.post(anEvent(), { 'Idempotency-Key': 'has space' }), await app.post(anEvent(), { 'Idempotency-Key': 'tab\there' })];
    replies.push(await app.post(anEvent(), { 'Idempotency-Key': 'k'.repeat(257) }), await app.post(anEvent(), { 'Idempotency-Key': 'k'.repeat(300) }));
    // All four must say the same; the first stands for them.
    for (const reply of replies) expect(reply.body).toEqual(replies[0]!.body);
    return replies[0]!;
  },
  'Authorization and X-API-Key naming different keys': async () => app.post(anEvent(), { 'X-API-Key': (await aPartner(app.partners)).apiKey }),
  'Two Authorization headers': async () => {
    const other = await aPartner(app.partners);
    const body = JSON.stringify(anEvent());
    return rawSocket(
      app.endpoint,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n` +
        `Authorization: Bearer ${app.apiKey}\r\nAuthorization: Bearer ${other.apiKey}\r\n\r\n${body}`,
    );
  },
  'A signed request whose Idempotency-Key differs from its webhook-id': async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const body = JSON.stringify(anEvent());
    return post(app.endpoint, body, { ...signer.auth, ...signedHeaders(signer.secret, body, { id: 'msg-1' }), 'Idempotency-Key': 'another' });
  },
  'A timestamp with second 60 (a leap second) or hour 24': () => same(anEvent({ timestamp: '2016-12-31T23:59:60Z' }), anEvent({ timestamp: '2025-01-10T24:00:00Z' })),
  'Text with U+0000 or an unpaired surrogate escape': () => same(anEvent({ patient_id: 'P\ud800' }), anEvent({ patient_id: 'P\u0000' })),
};

describe('the edge cases the guide lists', () => {
  const rows = guideRows();

  test('when the guide is read, then it lists edge cases and each has a request here', () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.map((r) => r.request).filter((r) => !REQUESTS[r])).toEqual([]);
  });

  test.each(rows.map((r) => [r.request, r] as const))('when %s is sent, then the status, type and loc are the ones the guide states', async (request, row) => {
    const res = await REQUESTS[request]!();
    expect(res.status).toBe(row.status);
    expect(res.body.errors).toEqual([expect.objectContaining({ type: row.type, loc: row.loc })]);
  });
});
