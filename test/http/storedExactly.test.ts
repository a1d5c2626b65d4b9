import fc from 'fast-check';
import { anEvent } from '../helpers/builders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { lengthLimits, spec, storableTextFields } from '../helpers/spec';

// Property tests: what a 201 acknowledges is exactly what is stored, for any text and any
// timestamp shape the contract accepts; everything else is refused and stores nothing.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());

const SEED = 20261129;
const codePoint = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => String.fromCodePoint(c));
/** One piece of text: any kind of character a sender may produce, valid or not. */
const piece = fc.oneof(
  codePoint(0x20, 0x7e), // ASCII
  codePoint(0xa0, 0x24f), // Latin-1 and Latin Extended (é, ø, ß)
  codePoint(0x300, 0x36f), // combining marks
  codePoint(0xac00, 0xd7a3), // Hangul syllables (decompose to jamo)
  codePoint(0x4e00, 0x9fff), // CJK
  codePoint(0x10000, 0x10ffff), // astral: emoji, historic scripts, private use
  fc.constantFrom('\uFFFE', '\uFFFF', '\uFEFF', '\u200D', '\u0001'), // noncharacters, BOM, ZWJ, a control
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), // an unpaired surrogate
  fc.constant('\u0000'),
);
const text = (maxPieces: number) => fc.array(piece, { minLength: 0, maxLength: maxPieces }).map((parts) => parts.join(''));

// The fields and their limits, read from the spec.
const TEXT_FIELDS = storableTextFields();
const LIMITS = new Map(lengthLimits().map(({ field, minLength, maxLength }) => [field, [minLength ?? 0, maxLength ?? Infinity] as const]));
type Field = string;

/** What the contract says of a value, worked out independently of the service. */
function acceptable(field: Field, value: string): boolean {
  const [min, max] = LIMITS.get(field) ?? [0, Infinity];
  const length = [...value].length;
  return value.isWellFormed() && !value.includes('\u0000') && length >= min && length <= max;
}

async function send(field: Field, value: string) {
  const event = anEvent({ [field]: value });
  const before = await app.events.countDocuments();
  const res = await app.post(event);
  return { res, before, event };
}

describe('text is stored exactly as acknowledged', () => {
  test('when any generated text is sent in any text field, then a 201 is stored and read back identical, and anything else is a 422 that stores nothing', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TEXT_FIELDS), text(60), async (field, value) => {
        const { res, before } = await send(field, value);
        if (acceptable(field, value)) {
          expect(res.status).toBe(201);
          const stored = await app.events.findOne({ event_id: res.body.event_id });
          expect(stored?.[field]).toBe(value);
          // The reply echoes the identifiers (EventSummary), never the notes.
          if (field in spec.components.schemas.EventSummary.properties) expect(res.body.data[field]).toBe(value);
          accepted += 1;
        } else {
          expect(res.status).toBe(422);
          expect(await app.events.countDocuments()).toBe(before);
          refused += 1;
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    // Both outcomes were exercised, so the property did not hold vacuously.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  test('when an identifier is sent once composed (NFC) and once decomposed (NFD), then they are two events, each stored exactly as sent', async () => {
    const twins = fc
      .array(fc.oneof(codePoint(0xc0, 0x17f), codePoint(0xac00, 0xd7a3), codePoint(0x61, 0x7a)), { minLength: 1, maxLength: 12 })
      .map((parts) => parts.join('').normalize('NFC'))
      .filter((s) => s !== s.normalize('NFD') && [...s.normalize('NFD')].length <= 50);
    await fc.assert(
      fc.asyncProperty(twins, async (composed) => {
        const decomposed = composed.normalize('NFD');
        // The same event otherwise, and no idempotency key: only the identifier tells them apart.
        const base = anEvent();
        const first = await app.post({ ...base, appointment_id: composed });
        const second = await app.post({ ...base, appointment_id: decomposed });
        expect([first.status, second.status]).toEqual([201, 201]);
        expect(second.headers.get('idempotent-replayed')).toBeNull();
        expect(second.body.event_id).not.toBe(first.body.event_id);
        expect((await app.events.findOne({ event_id: first.body.event_id }))?.appointment_id).toBe(composed);
        expect((await app.events.findOne({ event_id: second.body.event_id }))?.appointment_id).toBe(decomposed);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Every shape the Timestamp pattern allows, with day numbers that may not exist in their month. */
const timestampShape = fc.record({
  year: fc.integer({ min: 0, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
  zone: fc.oneof(
    fc.constant('Z'),
    fc.record({ sign: fc.constantFrom('+', '-'), hours: fc.integer({ min: 0, max: 23 }), minutes: fc.integer({ min: 0, max: 59 }) }),
  ),
});

describe('every timestamp shape the contract accepts goes all the way through', () => {
  test('when any timestamp of an accepted shape is sent, then it is stored with the instant it names, or refused 422 only for a day its month lacks; never a 500', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(timestampShape, async (t) => {
        const zone = t.zone === 'Z' ? 'Z' : `${t.zone.sign}${pad(t.zone.hours)}:${pad(t.zone.minutes)}`;
        const timestamp = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${t.fraction === undefined ? '' : `.${t.fraction}`}${zone}`;
        const res = await app.post(anEvent({ timestamp }));
        if (t.day > daysIn(t.year, t.month)) {
          expect(res.status).toBe(422);
          expect(res.body.errors).toEqual([{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
          return;
        }
        expect(res.status).toBe(201);
        // The instant, computed apart from the service: UTC fields minus the offset, in ms.
        const utc = new Date(0);
        utc.setUTCFullYear(t.year, t.month - 1, t.day);
        utc.setUTCHours(t.hour, t.minute, t.second, Number((t.fraction ?? '').padEnd(3, '0').slice(0, 3)));
        const offsetMinutes = t.zone === 'Z' ? 0 : (t.zone.sign === '-' ? -1 : 1) * (t.zone.hours * 60 + t.zone.minutes);
        const doc = await app.events.findOne({ event_id: res.body.event_id });
        expect(doc?.timestamp_text).toBe(timestamp);
        expect((doc?.timestamp as Date).getTime()).toBe(utc.getTime() - offsetMinutes * 60_000);
        stored += 1;
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(stored).toBeGreaterThan(200);
  });

  test.each([
    ['second 60', '2016-12-31T23:59:60Z'],
    ['second 60 moved to the end of a UTC day by its offset', '2025-01-10T24:59:60+01:00'],
    ['hour 24', '2025-01-10T24:00:00Z'],
  ])('when the timestamp names a time that does not exist (%s), then 422 value_error.datetime, not a 500', async (_case, timestamp) => {
    const res = await app.post(anEvent({ timestamp }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
    expect(await app.events.countDocuments()).toBe(0);
  });
});
