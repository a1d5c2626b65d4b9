/**
 * Every FHIR fixture (test/fixtures/fhir/) read as the route would read it, against the outcome
 * expected.json names for it: the events (with their idempotency keys), the ignored statuses,
 * or the error's code and items. Lone Appointments expect `event` (or only `ignored`); bundles
 * expect `events`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../src/errors';
import { readFhirBody, type FhirReading } from '../../src/inputs/fhirAppointment';

const DIR = join(__dirname, '..', 'fixtures', 'fhir');
const VOCABULARY = new Set(['resourceType', 'status', 'use', 'required', 'method', 'type', 'name', 'valueCode', 'mode']);

interface ExpectedEvent {
  event: Record<string, unknown>;
  controlId?: string;
  bookedStart?: string;
  /** The type stored when it differs from the one read (a move): test/http/corpusStored.test.ts checks it. */
  storedType?: string;
}
interface Expected extends Partial<ExpectedEvent> {
  identifierSystem?: string;
  events?: ExpectedEvent[];
  ignored?: { loc: (string | number)[]; status: string }[];
  notificationType?: string;
  error?: { code: string; items: { loc: (string | number)[]; type: string }[] };
}

const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
const files = readdirSync(DIR).filter((name) => name.endsWith('.json') && name !== 'expected.json');

function read(name: string): FhirReading | AppError {
  const body = JSON.parse(readFileSync(join(DIR, name), 'utf8'));
  const options = expected[name]?.identifierSystem === undefined ? {} : { identifierSystem: expected[name].identifierSystem };
  try {
    return readFhirBody(body, options);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

function eventsOf(want: Expected): ExpectedEvent[] {
  if (want.events) return want.events;
  return want.event ? [{ event: want.event, controlId: want.controlId, bookedStart: want.bookedStart }] : [];
}

describe('FHIR corpus', () => {
  test('when the corpus is listed, then it holds at least 18 fixtures, each with an expectation and each expectation with a fixture', () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  test('when the corpus is read, then it covers every status, both notification styles, handshake and heartbeat', () => {
    const bodies = files.map((name) => readFileSync(join(DIR, name), 'utf8'));
    const statuses = ['booked', 'cancelled', 'entered-in-error', 'fulfilled', 'noshow', 'proposed', 'pending', 'waitlist', 'arrived', 'checked-in'];
    for (const status of statuses) expect(bodies.some((body) => body.includes(`"status": "${status}"`))).toBe(true);
    for (const marker of ['"resourceType": "Parameters"', '"resourceType": "SubscriptionStatus"', '"valueCode": "handshake"', '"type": "heartbeat"']) {
      expect(bodies.some((body) => body.includes(marker))).toBe(true);
    }
    const outcomes = Object.values(expected);
    expect(outcomes.filter((want) => want.error).length).toBeGreaterThanOrEqual(8);
    expect(outcomes.filter((want) => eventsOf(want).length > 0).length).toBeGreaterThanOrEqual(15);
  });

  test.each(files)('when %s is read, then the outcome is the one expected.json names', (name) => {
    const want = expected[name] as Expected;
    const got = read(name);
    if (want.error) {
      expect(got).toBeInstanceOf(AppError);
      const error = got as AppError;
      expect(error.code).toBe(want.error.code);
      expect(error.details.map(({ loc, type }) => ({ loc, type }))).toEqual(want.error.items);
      return;
    }
    expect(got).not.toBeInstanceOf(AppError);
    const reading = got as FhirReading;
    const events = reading.events.map(({ event, controlId, bookedStart }) => ({ event, controlId, ...(bookedStart === undefined ? {} : { bookedStart }) }));
    const wanted = eventsOf(want).map(({ event, controlId, bookedStart }) => ({ event, controlId, ...(bookedStart === undefined ? {} : { bookedStart }) }));
    expect(events).toEqual(wanted);
    expect(reading.ignored).toEqual(want.ignored ?? []);
    expect(reading.notificationType).toBe(want.notificationType);
    for (const input of reading.events) expect(input.format).toBe('fhir');
  });

  test.each(files.filter((name) => expected[name]?.error))('when %s is refused, then no item message repeats a value from the resource', (name) => {
    const body = readFileSync(join(DIR, name), 'utf8');
    // Values, not the vocabulary of the format (a resource type or status code may be named).
    const values = [...body.matchAll(/"(\w+)": "([^"]{4,})"/g)].filter((match) => !VOCABULARY.has(match[1] as string)).map((match) => match[2] as string);
    expect(values.length).toBeGreaterThan(5);
    const error = read(name) as AppError;
    for (const { msg } of error.details) for (const value of values) expect(msg).not.toContain(value);
  });
});
