import { anEvent, codePoints, without } from '../helpers/builders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { eventTypes, lengthLimits, requiredEventFields, storableTextFields } from '../helpers/spec';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());
// No rejected request may leave anything behind.
afterEach(async () => expect(await app.events.countDocuments()).toBe(0));

async function expect422(body: unknown) {
  const res = await app.post(body);
  expect(res.status).toBe(422);
  expect(res.body.status).toBe('error');
  expect(res.body.message).toBe('Invalid payload structure');
  return res;
}

const EVENT_TYPES = eventTypes();

/**
 * Each length limit of the spec's free-text fields, just past it: [field, code points, type, msg,
 * limit]. (A timestamp past its length also breaks its format, which is what gets reported.)
 */
const PAST_LIMITS = lengthLimits().filter(({ field }) => storableTextFields().includes(field)).flatMap(({ field, minLength, maxLength }) => [
  ...(minLength ? [[field, minLength - 1, 'value_error.any_str.min_length', `ensure this value has at least ${minLength} characters`, minLength] as const] : []),
  ...(maxLength ? [[field, maxLength + 1, 'value_error.any_str.max_length', `ensure this value has at most ${maxLength} characters`, maxLength] as const] : []),
]);

describe('POST /webhook/appointment with an invalid event', () => {
  test.each(requiredEventFields())('when %s is missing, then 422 says "field required"', async (field) => {
    const res = await expect422(without(anEvent(), field));
    expect(res.body.errors).toEqual([{ loc: ['body', field], msg: 'field required', type: 'value_error.missing' }]);
  });

  test('when several fields are wrong, then every problem is listed at once', async () => {
    const res = await expect422({ event_type: 'appointment.moved', patient_id: 42, timestamp: 'yesterday', notes: 7 });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'appointment_id'], msg: 'field required', type: 'value_error.missing' },
        expect.objectContaining({ loc: ['body', 'event_type'], type: 'type_error.enum' }),
        { loc: ['body', 'patient_id'], msg: 'str type expected', type: 'type_error.str' },
        { loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' },
        { loc: ['body', 'notes'], msg: 'str type expected', type: 'type_error.str' },
      ]),
    );
    expect(res.body.errors).toHaveLength(5);
  });

  test('when event_type is not one of the five, then 422 lists the permitted values', async () => {
    const res = await expect422(anEvent({ event_type: 'appointment.deleted' }));
    expect(res.body.errors).toEqual([
      {
        loc: ['body', 'event_type'],
        msg: `value is not a valid enumeration member; permitted: ${EVENT_TYPES.map((t) => `'${t}'`).join(', ')}`,
        type: 'type_error.enum',
        ctx: { enum_values: EVENT_TYPES },
      },
    ]);
  });

  test('when the spec is read, then it sets length limits to test', () => {
    expect(PAST_LIMITS.length).toBeGreaterThanOrEqual(3);
  });

  test.each(PAST_LIMITS)('when %s has %i code points, then 422 %s with the limit', async (field, length, type, msg, limit) => {
    for (const emoji of [false, true]) {
      const res = await expect422(anEvent({ [field]: codePoints(length, emoji) }));
      expect(res.body.errors).toEqual([{ loc: ['body', field], msg, type, ctx: { limit_value: limit } }]);
    }
  });

  test.each([
    ['a number', 12345],
    ['an object', { id: 'A1' }],
    ['an array', ['A1']],
    ['null', null],
    ['a boolean', true],
  ])('when appointment_id and patient_id are %s, then 422 "str type expected", never coerced', async (_kind, value) => {
    const res = await expect422(anEvent({ appointment_id: value, patient_id: value }));
    expect(res.body.errors).toEqual([
      { loc: ['body', 'appointment_id'], msg: 'str type expected', type: 'type_error.str' },
      { loc: ['body', 'patient_id'], msg: 'str type expected', type: 'type_error.str' },
    ]);
  });

  test.each([
    ['the guide\'s US format', '01/10/2025 12:30 PM'],
    ['the guide\'s zone-less space form', '2025-01-10 12:30:00'],
    ['the guide\'s Unix time as a string', '1704888600'],
    ['no zone', '2025-01-10T12:30:00'],
    ['a space instead of T, with a zone', '2025-01-10 12:30:00Z'],
    ['a lower-case t', '2025-01-10t12:30:00Z'],
    ['an offset without a colon', '2025-01-10T12:30:00+0000'],
    ['an hour-only offset', '2025-01-10T12:30:00+05'],
    ['30 February', '2025-02-30T12:30:00Z'],
    ['29 February of a common year', '2025-02-29T12:30:00Z'],
    ['hour 25', '2025-01-10T25:30:00Z'],
    ['minute 60', '2025-01-10T12:60:00Z'],
    ['a leap second at the wrong time', '2025-01-10T12:30:60Z'],
    // A leap second cannot be stored as the instant it names (JavaScript dates have none).
    ['a leap second at the end of a UTC day', '2016-12-31T23:59:60Z'],
    ['a leap second that an offset moves to the end of a UTC day', '2025-01-10T24:59:60+01:00'],
    ['a leap second with a fraction', '2016-12-31T23:59:60.5Z'],
    ['hour 24', '2025-01-10T24:00:00Z'],
    ['ten fractional digits', '2025-01-10T12:30:00.1234567890Z'],
    ['64,000 fractional digits', `2025-01-10T12:30:00.${'0'.repeat(64_000)}1Z`],
    ['an offset with minute 60', '2025-01-10T12:30:00+05:60'],
    ['month 13', '2025-13-10T12:30:00Z'],
    ['an offset beyond 23 hours', '2025-01-10T12:30:00+24:00'],
    ['a date only', '2025-01-10'],
    ['the empty string', ''],
    ['a trailing newline', '2025-01-10T12:30:00Z\n'],
    ['non-ASCII digits', '٢٠٢٥-01-10T12:30:00Z'],
  ])('when the timestamp is %s, then 422 "invalid datetime format"', async (_case, timestamp) => {
    const res = await expect422(anEvent({ timestamp }));
    expect(res.body.errors).toEqual([{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
  });

  test.each([
    ['a Unix time number', 1704888600],
    ['null', null],
  ])('when the timestamp is %s, then 422 "str type expected"', async (_case, timestamp) => {
    const res = await expect422(anEvent({ timestamp }));
    expect(res.body.errors).toEqual([{ loc: ['body', 'timestamp'], msg: 'str type expected', type: 'type_error.str' }]);
  });

  test.each([
    ['appointment_id', 'U+0000', 'A1\u0000B2'],
    ['patient_id', 'U+0000', 'P\u0000'],
    ['notes', 'U+0000', 'note \u0000'],
    ['appointment_id', 'an unpaired high surrogate', 'A\ud800'],
    ['patient_id', 'an unpaired low surrogate', '\udc00P'],
    ['notes', 'two high surrogates', '\ud83e\ud83e'],
    ['patient_id', 'a pair in the wrong order', '\udd7a\ud83e'],
  ])('when %s contains %s, which no database stores exactly, then 422 value_error.str.unstorable and nothing is stored', async (field, _case, value) => {
    const res = await expect422(anEvent({ [field]: value }));
    expect(res.body.errors).toEqual([
      { loc: ['body', field], msg: 'text must not contain U+0000 or an unpaired surrogate', type: 'value_error.str.unstorable' },
    ]);
  });

  test.each([
    ['an array', '[]', 'value is not a valid dict'],
    ['a string', '"appointment.scheduled"', 'value is not a valid dict'],
    ['a number', '42', 'value is not a valid dict'],
    ['null', 'null', 'value is not a valid dict'],
    ['an event serialised twice (a JSON string holding it)', JSON.stringify(JSON.stringify({ event_type: 'appointment.scheduled', appointment_id: 'A1', patient_id: 'P1', timestamp: '2025-01-10T12:30:00Z' })), 'value is not a valid dict'],
    ['a JSON string holding a number', JSON.stringify('42'), 'value is not a valid dict'],
  ])('when the body is %s rather than an object, then 422 at loc ["body"] type_error.dict', async (_kind, body, msg) => {
    const res = await expect422(body);
    expect(res.body.errors).toEqual([{ loc: ['body'], msg, type: 'type_error.dict' }]);
  });

  test('when the body is empty, then 422 says the body is required', async () => {
    const res = await expect422('');
    expect(res.body.errors).toEqual([{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  });

  test('when values are rejected, then the error body never echoes them', async () => {
    const secrets = { appointment_id: 'SECRET-APPT-'.repeat(5), patient_id: 'SECRET-PATIENT-'.repeat(4), notes: 'SECRET-NOTE-'.repeat(100), timestamp: 'SECRET-TIME', event_type: 'SECRET-TYPE' };
    const res = await expect422(secrets);
    expect(res.body.errors).toHaveLength(5);
    expect(res.text).not.toContain('SECRET');
  });
});
