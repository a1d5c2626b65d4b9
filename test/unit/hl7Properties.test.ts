/**
 * Properties of the HL7 v2 reader: (a) any value we escape into a valid SIU message, whatever its
 * encoding characters and segment separators, comes back as sent in the event; (b) no text, and
 * no mutation of a valid message, makes the reader throw anything but an AppError.
 */
import fc from 'fast-check';
import { AppError } from '../../src/errors';
import { hl7Ack, readHl7Header } from '../../src/inputs/hl7Ack';
import { encodeHl7, type Hl7Delimiters } from '../../src/inputs/hl7Text';
import { readHl7Message } from '../../src/inputs/hl7v2';

/** Printable ASCII that is neither letter nor digit: what HL7 allows as a delimiter. */
const DELIMITER_CHARS = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];

const delimiters: fc.Arbitrary<Hl7Delimiters> = fc
  .uniqueArray(fc.constantFrom(...DELIMITER_CHARS), { minLength: 5, maxLength: 5 })
  .map(([field = '|', component = '^', repetition = '~', escape = '\\', subcomponent = '&']) => ({ field, component, repetition, escape, subcomponent }));

/** Text that likes the characters that need escaping: delimiters, line breaks, escape-like runs, non-ASCII. */
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .string({
      unit: fc.oneof(fc.constantFrom(...DELIMITER_CHARS, '\r', '\n', 'F', 'X0D', '.br', 'é', '予', '🙂', ' '), fc.string({ minLength: 1, maxLength: 1 })),
      minLength: 1,
      maxLength,
    })
    .filter((value) => value !== '""');

const TRIGGERS = [
  ['S12', '', 'appointment.scheduled'],
  ['S13', 'Booked', 'appointment.rescheduled'],
  ['S14', 'Complete', 'appointment.completed'],
  ['S14', 'noshow', 'appointment.no_show'],
  ['S14', 'CANCELLED', 'appointment.cancelled'],
  ['S14', 'Pending', 'appointment.scheduled'],
  ['S15', 'Cancelled', 'appointment.cancelled'],
  ['S17', 'Deleted', 'appointment.cancelled'],
  ['S26', 'Noshow', 'appointment.no_show'],
] as const;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const instant = fc.record({
  year: fc.integer({ min: 1900, max: 2199 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.option(fc.integer({ min: 0, max: 59 })),
  fraction: fc.option(fc.stringMatching(/^\d{1,4}$/)),
  sign: fc.constantFrom('+', '-'),
  offset: fc.integer({ min: 0, max: 14 * 60 }),
});

const siu = fc.record({
  d: delimiters,
  separator: fc.constantFrom('\r', '\n', '\r\n'),
  trailing: fc.boolean(),
  trigger: fc.constantFrom(...TRIGGERS),
  controlId: text(20),
  filler: fc.option(text(20)),
  placer: text(20),
  patientId: text(20),
  otherId: text(10),
  notes: fc.array(fc.array(text(40), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
  when: instant,
});

type Siu = typeof siu extends fc.Arbitrary<infer T> ? T : never;

function hl7Time(t: Siu['when']): { hl7: string; rfc3339: string } {
  const seconds = t.second ?? undefined;
  const fraction = seconds !== undefined && t.fraction !== null ? t.fraction : undefined;
  const zone = `${pad(Math.floor(t.offset / 60))}${pad(t.offset % 60)}`;
  const date = `${pad(t.year, 4)}${pad(t.month)}${pad(t.day)}${pad(t.hour)}${pad(t.minute)}`;
  const hl7 = `${date}${seconds === undefined ? '' : pad(seconds)}${fraction === undefined ? '' : `.${fraction}`}${t.sign}${zone}`;
  const rfcDate = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(seconds ?? 0)}`;
  return { hl7, rfc3339: `${rfcDate}${fraction === undefined ? '' : `.${fraction}`}${t.sign}${zone.slice(0, 2)}:${zone.slice(2)}` };
}

/** An SIU message as a scheduling system would build it, every value escaped with our encoder. */
function build(m: Siu): { text: string; time: string } {
  const { d } = m;
  const e = (value: string): string => encodeHl7(value, d);
  const c = (...parts: string[]): string => parts.join(d.component);
  const f = (...fields: string[]): string => fields.join(d.field);
  const time = hl7Time(m.when);
  const segments = [
    f(`MSH${d.field}${d.component}${d.repetition}${d.escape}${d.subcomponent}`, c('SCHED', 'x'), 'CLINIC', 'APPTWH', 'RECV', e('20250101000000+0000'), '', c('SIU', m.trigger[0], e('SIU_S12')), e(m.controlId), 'P', e('2.5.1')),
    f('EVN', m.trigger[0], '', '', '', '', e(time.hl7)),
    f('SCH', c(e(m.placer), 'SCHED'), m.filler === null ? '' : c(e(m.filler), 'SCHED'), ...Array<string>(22).fill(''), m.trigger[1]),
    ...m.notes.map((note, i) => f('NTE', String(i + 1), 'P', note.map(e).join(d.repetition))),
    f('PID', '1', '', [c(e(m.otherId), '', '', 'USSSA', 'SS'), c(e(m.patientId), '', '', 'CLINIC', 'MR')].join(d.repetition), '', c('Doe', 'Alex')),
    f('RGS', '1', 'A'),
    f('NTE', '1', '', 'resource note'),
  ];
  return { text: segments.join(m.separator) + (m.trailing ? m.separator : ''), time: time.rfc3339 };
}

describe('HL7 v2 properties', () => {
  test('when a valid SIU message carries arbitrary escaped values, then the event holds them exactly as they were before escaping', () => {
    fc.assert(
      fc.property(siu, (m) => {
        const { text: message, time } = build(m);
        const input = readHl7Message(message, { patientIdType: 'MR' });
        const notes = m.notes.flat();
        expect(input.event).toEqual({
          event_type: m.trigger[2],
          appointment_id: m.filler ?? m.placer,
          patient_id: m.patientId,
          timestamp: time,
          notes: notes.length > 0 ? notes.join('\n') : null,
        });
        expect(input.controlId).toBe(m.controlId);
        expect(readHl7Header(message)?.controlId).toBe(m.controlId);
      }),
      { numRuns: 300 },
    );
  });

  const mutation = fc.record({
    at: fc.nat(),
    cut: fc.nat({ max: 12 }),
    insert: fc.string({ unit: fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', '"', 'MSH', 'SCH', 'PID', 'NTE', 'RGS', 'EVN', 'X', '.', '9', '') }),
  });

  function neverCrashes(message: string): void {
    try {
      readHl7Message(message, { patientIdType: 'MR' });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      expect(['malformed_message', 'invalid_payload']).toContain(err.code);
    }
    const ack = hl7Ack({ received: readHl7Header(message), ackCode: 'AE', controlId: 'r', now: new Date(0), errors: [] });
    expect(ack.split('\r')).toHaveLength(3);
  }

  test('when a valid message is cut and spliced at random, then reading it gives an event or an AppError, and its ACK keeps two segments', () => {
    fc.assert(
      fc.property(siu, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, mutations) => {
        let message = build(m).text;
        for (const { at, cut, insert } of mutations) {
          const where = at % (message.length + 1);
          message = message.slice(0, where) + insert + message.slice(where + cut);
        }
        neverCrashes(message);
      }),
      { numRuns: 300 },
    );
  });

  test('when the body is arbitrary text, with or without an MSH start, then reading it gives an AppError or an event, never a crash', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'MSH|^~\\&|', 'MSH'), fc.string({ unit: 'binary', maxLength: 200 }), (prefix, rest) => {
        neverCrashes(prefix + rest);
      }),
      { numRuns: 300 },
    );
  });
});
