/**
 * Every message of the HL7 v2 corpus (test/fixtures/hl7v2/) read as expected.json says: the
 * event and control id it gives, or the error code and the located items it is refused with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../src/errors';
import { readHl7Message } from '../../src/inputs/hl7v2';

interface Expected {
  event?: Record<string, unknown>;
  controlId?: string;
  patientIdType?: string;
  error?: { code: string; items: { loc: (string | number)[]; type: string }[] };
}

const DIR = join(__dirname, '../fixtures/hl7v2');
const files = readdirSync(DIR).filter((name) => name.endsWith('.hl7')).sort();
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
const textOf = (name: string): string => readFileSync(join(DIR, name), 'utf8');

function outcome(name: string): { event?: unknown; controlId?: string; error?: unknown } {
  const options = { patientIdType: expected[name]?.patientIdType ?? 'MR' };
  try {
    const input = readHl7Message(textOf(name), options);
    expect(input.format).toBe('hl7v2');
    return { event: input.event, controlId: input.controlId };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { error: { code: err.code, items: err.details.map(({ loc, type }) => ({ loc, type })) } };
  }
}

describe('the HL7 v2 corpus', () => {
  test('when the corpus is listed, then it has at least 30 messages, each with an expectation and each expectation with a file', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  test('when the messages are read, then every mapped trigger and every S14 filler status row appears', () => {
    const triggers = new Set(files.map((name) => /\|SIU\^(S\d\d)/.exec(textOf(name))?.[1]));
    expect([...triggers]).toEqual(expect.arrayContaining(['S12', 'S13', 'S14', 'S15', 'S17', 'S26', 'S16', 'S20']));
    const s14Events = new Set(files.filter((name) => name.includes('-s14-')).map((name) => expected[name]?.event?.event_type ?? expected[name]?.error?.items[0]?.type));
    expect([...s14Events].sort()).toEqual([
      'appointment.cancelled',
      'appointment.completed',
      'appointment.no_show',
      'appointment.scheduled',
      'value_error.hl7.filler_status',
    ]);
  });

  test('when the corpus is read, then its separators vary (CR, LF, CRLF) and some messages end with one', () => {
    const texts = files.map(textOf);
    expect(texts.some((t) => t.includes('\r\n'))).toBe(true);
    expect(texts.some((t) => t.includes('\n') && !t.includes('\r'))).toBe(true);
    expect(texts.filter((t) => t.includes('\r') && !t.includes('\n')).length).toBeGreaterThan(files.length / 2);
    expect(texts.some((t) => t.endsWith('\r'))).toBe(true);
  });

  test.each(files)('when %s is read, then it gives what expected.json says', (name) => {
    const want = expected[name]!;
    const got = outcome(name);
    if (want.error) {
      expect(got).toEqual({ error: want.error });
    } else {
      expect(got).toEqual({ event: want.event, controlId: want.controlId });
    }
  });

  test.each(files.filter((name) => expected[name]?.error))('when %s is refused, then no msg echoes a value of the message', (name) => {
    let thrown: unknown;
    try {
      readHl7Message(textOf(name), { patientIdType: expected[name]?.patientIdType ?? 'MR' });
    } catch (err) {
      thrown = err;
    }
    const details = (thrown as AppError).details;
    expect(details.length).toBeGreaterThan(0);
    for (const { msg } of details) {
      expect(msg).not.toMatch(/NS0000|MRN-|APT-|PL-|Rivera|2026|Blocked\^/);
    }
  });
});
