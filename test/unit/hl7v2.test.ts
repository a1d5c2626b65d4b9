import { AppError } from '../../src/errors';
import { decodeHl7, encodeHl7, hl7DateTime, hl7Instant, readDelimiters, STANDARD_DELIMITERS as STD } from '../../src/inputs/hl7Text';
import { readHl7Message } from '../../src/inputs/hl7v2';

const CUSTOM = { field: '#', component: '$', repetition: '%', escape: '!', subcomponent: '@' };

describe('readDelimiters', () => {
  test.each([
    ['MSH|^~\\&|APP', STD],
    ['MSH#$%!@#APP', CUSTOM],
    ['MSH|^~\\&#|APP', STD],
    ['MSH|^~\\&', STD],
    ['MSH|^~\\&\rPID', STD],
  ])('when the message starts %j, then its encoding characters are read', (text, delimiters) => {
    expect(readDelimiters(text)).toEqual(delimiters);
  });

  test.each(['', 'MSH', 'MSH|^~\\', 'MSH|^~|APP|', 'MSH|^~\\^|APP', 'MSH|^~\\A|APP', 'MSH ^~\\&', 'MSH|^~\\&AB|', ' MSH|^~\\&|', 'PID|^~\\&|'])(
    'when the message starts %j, then its encoding characters cannot be read',
    (text) => {
      expect(readDelimiters(text)).toBeUndefined();
    },
  );
});

describe('decodeHl7', () => {
  test.each([
    ['no escapes', 'no escapes'],
    ['a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', 'a|b^c&d~e\\f'],
    ['\\X48656C6C6F\\ \\XC3BC\\\\XF09F9982\\', 'Hello ü🙂'],
    ['line\\.br\\next\\.sp\\end', 'line\nnext\nend'],
    ['\\H\\bold\\N\\ \\.in+4\\x\\.ti-2\\\\.sk3\\\\.ce\\\\.fi\\\\.nf\\', 'bold x'],
    ['keep \\Zvendor\\ and \\Cxxyy\\', 'keep \\Zvendor\\ and \\Cxxyy\\'],
    ['bad hex \\XZZ\\ odd \\X4\\ invalid utf8 \\XC3\\ empty \\X\\', 'bad hex \\XZZ\\ odd \\X4\\ invalid utf8 \\XC3\\ empty \\X\\'],
    ['unterminated \\F', 'unterminated \\F'],
    ['C:\\temp\\F\\', 'C:\\temp|'],
    ['\\.spx\\', '\\.spx\\'],
  ])('when %j is decoded with the standard delimiters, then it reads %j', (text, decoded) => {
    expect(decodeHl7(text, STD)).toBe(decoded);
  });

  test('when a message declares other encoding characters, then its escapes use its own escape character and delimiters', () => {
    expect(decodeHl7('a!F!b!S!c!T!d!R!e!E!f \\F\\', CUSTOM)).toBe('a#b$c@d%e!f \\F\\');
  });

  test.each(['plain', 'a|b^c&d~e\\f', 'line\nnext\r\nlast\r', 'é ü 予約 🙂', '\\F\\ already looks escaped', ''])(
    'when %j is encoded and decoded, then it comes back unchanged, with no delimiter or line break left bare',
    (text) => {
      for (const d of [STD, CUSTOM]) {
        const encoded = encodeHl7(text, d);
        expect(decodeHl7(encoded, d)).toBe(text);
        for (const bare of [d.field, d.component, d.repetition, d.subcomponent, '\r', '\n']) expect(encoded).not.toContain(bare);
      }
    },
  );
});

describe('hl7Instant', () => {
  test.each([
    ['20261201083000-0500', '2026-12-01T08:30:00-05:00'],
    ['202612010830-0500', '2026-12-01T08:30:00-05:00'],
    ['20261201083000.1+0000', '2026-12-01T08:30:00.1+00:00'],
    ['20261201083000.1234+0530', '2026-12-01T08:30:00.1234+05:30'],
    ['20240229235959-0000', '2024-02-29T23:59:59-00:00'],
  ])('when the HL7 time is %s, then it reads %s', (text, timestamp) => {
    expect(hl7Instant(text)).toEqual({ ok: true, timestamp });
  });

  test.each([
    ['20261201', 'format'],
    ['2026120108-0500', 'format'],
    ['20261201083000.12345-0500', 'format'],
    ['202612010830.1-0500', 'format'],
    ['20260230083000-0500', 'format'],
    ['20250229083000-0500', 'format'],
    ['20261201240000-0500', 'format'],
    ['20261201086000-0500', 'format'],
    ['20261201083060-0500', 'format'],
    ['20261201083000-2400', 'format'],
    ['2026-12-01T08:30:00Z', 'format'],
    ['20261201083000', 'zone'],
    ['202612010830', 'zone'],
  ])('when the HL7 time is %s, then it is refused for its %s', (text, problem) => {
    expect(hl7Instant(text)).toEqual({ ok: false, problem });
  });

  test('when an acknowledgement time is written, then it is UTC to the millisecond', () => {
    expect(hl7DateTime(new Date('2025-01-06T09:00:00.12Z'))).toBe('20250106090000.120+0000');
  });
});

const SEGMENTS = [
  'MSH|^~\\&|SCHED|CLINIC|APPTWH|RECEIVER|20261120091502-0500||SIU^S12^SIU_S12|C-1|P|2.5.1',
  'EVN|S12|20261120091500-0500||||20261120091000-0500',
  'SCH|PL-1|APT-1|||||CHECKUP^Check-up^L||||||||||||||||||Booked',
  'NTE|1||Bring the referral letter',
  'PID|1||999-01-0001^^^USSSA^SS~MRN-1^^^CLINIC^MR||Rivera^Ana',
  'RGS|1|A',
  'NTE|1||Resource note, not the appointment\'s',
];
const message = (replace: Record<number, string | null> = {}): string =>
  SEGMENTS.map((segment, i) => (i in replace ? replace[i] : segment)).filter((s) => s !== null).join('\r');

function refusal(text: string, patientIdType = 'MR'): { code: string; details: unknown } {
  try {
    readHl7Message(text, { patientIdType });
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('not refused');
}

describe('readHl7Message', () => {
  test('when an SIU S12 arrives, then its event, origins and control id are read from the fields the design names', () => {
    expect(readHl7Message(message(), { patientIdType: 'MR' })).toEqual({
      event: { event_type: 'appointment.scheduled', appointment_id: 'APT-1', patient_id: 'MRN-1', timestamp: '2026-11-20T09:10:00-05:00', notes: 'Bring the referral letter' },
      origins: { event_type: ['MSH', 9, 2], appointment_id: ['SCH', 2, 1], patient_id: ['PID', 3, 2, 1], timestamp: ['EVN', 6], notes: ['NTE', 3] },
      controlId: 'C-1',
      format: 'hl7v2',
    });
  });

  test('when an S14 carries a filler status, then the status decides the event and SCH-25 is its origin', () => {
    const input = readHl7Message(message({ 0: SEGMENTS[0]!.replace('S12', 'S14'), 2: SEGMENTS[2]!.replace('Booked', 'NOSHOW') }), { patientIdType: 'MR' });
    expect(input.event.event_type).toBe('appointment.no_show');
    expect(input.origins.event_type).toEqual(['SCH', 25]);
  });

  test('when the header checks fail in several ways, then only the first (in the design order) is reported', () => {
    const header = 'MSH|^~\\&|SCHED|CLINIC|APPTWH|RECEIVER|20261120091502-0500||ADT^A04||P|2.1|||||||8859/1';
    expect(refusal(message({ 0: header }))).toEqual({
      code: 'invalid_payload',
      details: [{ loc: ['body', 'MSH', 10], msg: 'MSH-10 (message control id) is required', type: 'value_error.missing' }],
    });
    expect(refusal(message({ 0: header.replace('||P', '|C-9|P') })).details).toEqual([expect.objectContaining({ type: 'value_error.hl7.version', ctx: { enum_values: expect.arrayContaining(['2.3', '2.5.1', '2.9']) } })]);
  });

  test('when SCH and PID are both missing, then both are reported at once', () => {
    expect(refusal(message({ 2: null, 4: null })).details).toEqual([
      { loc: ['body', 'SCH'], msg: 'the SCH segment is required', type: 'value_error.hl7.segment_missing' },
      { loc: ['body', 'PID'], msg: 'the PID segment is required', type: 'value_error.hl7.segment_missing' },
    ]);
  });

  test('when the unsupported trigger is refused, then ctx lists the six mapped triggers', () => {
    expect(refusal(message({ 0: SEGMENTS[0]!.replace('S12', 'S18') })).details).toEqual([
      { loc: ['body', 'MSH', 9, 2], msg: 'MSH-9.2 must be an SIU trigger this receiver maps', type: 'value_error.hl7.trigger_event', ctx: { enum_values: ['S12', 'S13', 'S14', 'S15', 'S17', 'S26'] } },
    ]);
  });

  test('when no PID-3 identifier has the configured type, then the msg names the type, never a value', () => {
    expect(refusal(message(), 'PI').details).toEqual([{ loc: ['body', 'PID', 3], msg: 'no PID-3 identifier of type PI', type: 'value_error.missing' }]);
  });

  test('when every event time is empty or the HL7 null, then MSH-7 is reported missing', () => {
    const header = SEGMENTS[0]!.replace('20261120091502-0500', '""');
    expect(refusal(message({ 0: header, 1: 'EVN|S12|||||""' })).details).toEqual([
      { loc: ['body', 'MSH', 7], msg: 'the event time (EVN-6, EVN-2 or MSH-7) is required', type: 'value_error.missing' },
    ]);
  });

  test('when an NTE-3 holds an unescaped component separator, then it stays in the note as text', () => {
    expect(readHl7Message(message({ 3: 'NTE|1||Dose 5^10 mg~\\H\\~""' }), { patientIdType: 'MR' }).event.notes).toBe('Dose 5^10 mg');
  });

  test('when there is no RGS, then every NTE is the appointment\'s', () => {
    expect(readHl7Message(message({ 5: null }), { patientIdType: 'MR' }).event.notes).toBe("Bring the referral letter\nResource note, not the appointment's");
  });

  test('when a segment name only starts like a needed one, then it is not taken for it', () => {
    const text = message({ 2: SEGMENTS[2]!.replace('SCH|', 'SCHX|') });
    expect(refusal(text).details).toEqual([expect.objectContaining({ loc: ['body', 'SCH'] })]);
    const notes = readHl7Message(message({ 3: 'NTEX|1||not a note', 5: 'RGSX|1' }), { patientIdType: 'MR' }).event.notes;
    expect(notes).toBe("Resource note, not the appointment's");
  });

  test.each(['', 'MSH', 'MSH|', 'MSH|^~\\&|\r\r\r', 'MSH|^~\\&|'.repeat(3), '\u0000\u0001', 'MSH|^~\\&||||||||||||||||||||||||||||||'])(
    'when the body is %j, then it is refused with an AppError, never a crash',
    (text) => {
      expect(['malformed_message', 'invalid_payload']).toContain(refusal(text).code);
    },
  );
});
