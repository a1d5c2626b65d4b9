import { Hl7Message } from '@medplum/core';
import type { ErrorDetail } from '../../src/errors';
import { hl7Ack, hl7ErrorCode, hl7ErrorLocation, readHl7Header, type Hl7Header } from '../../src/inputs/hl7Ack';

const NOW = new Date('2025-01-06T09:00:00.12Z');
const HEADER = 'MSH|^~\\&|CLINICSCHED^2.16.840.1.113883.3.9999^ISO|NORTHSIDE|APPTWH|RECEIVER|20250106090000+0000||SIU^S12^SIU_S12|NS-20250106-0001|P|2.5.1';

describe('readHl7Header', () => {
  test('when a message arrives, then the header fields an ACK echoes are read from its first segment, decoded, applications by component', () => {
    expect(readHl7Header(`${HEADER}\rSCH|broken`)).toEqual({
      sendingApplication: ['CLINICSCHED', '2.16.840.1.113883.3.9999', 'ISO'],
      sendingFacility: ['NORTHSIDE'],
      receivingApplication: ['APPTWH'],
      receivingFacility: ['RECEIVER'],
      trigger: 'S12',
      controlId: 'NS-20250106-0001',
      version: '2.5.1',
      processingId: 'P',
    });
  });

  test('when the message has its own encoding characters and escapes, then they are read with them', () => {
    const header = readHl7Header('MSH#$%!@#A!F!B$X#FAC#R#RF#202501060900##SIU$S15#ID!S!1#P#2.3.1$x\nPID');
    expect(header).toEqual(expect.objectContaining({ sendingApplication: ['A#B', 'X'], trigger: 'S15', controlId: 'ID$1', version: '2.3.1' }));
  });

  test('when the header is cut short or holds HL7 nulls, then the missing parts are empty', () => {
    expect(readHl7Header('MSH|^~\\&|""')).toEqual({
      sendingApplication: [''],
      sendingFacility: [''],
      receivingApplication: [''],
      receivingFacility: [''],
      trigger: '',
      controlId: '',
      version: '',
      processingId: '',
    });
  });

  test.each(['', 'PID|1', 'MSH|^~|A|B', 'hello', ' MSH|^~\\&|A'])('when the text is %j, then there is no header to read', (text) => {
    expect(readHl7Header(text)).toBeUndefined();
  });
});

describe('hl7ErrorLocation', () => {
  test.each([
    [['body', 'PID', 3, 2, 1], 'PID^1^3^2^1'],
    [['body', 'SCH', 2, 1], 'SCH^1^2^1^1'],
    [['body', 'MSH', 9, 2], 'MSH^1^9^1^2'],
    [['body', 'MSH', 10], 'MSH^1^10'],
    [['body', 'NTE', 3], 'NTE^1^3'],
    [['body', 'SCH'], 'SCH^1'],
    [['body', 'PID', 3, 1, 1, 2], 'PID^1^3^1^1^2'],
    [['body', 'PID', 'x'], 'PID^1'],
    [['body'], ''],
    [['body', 'patient_id'], ''],
    [['header', 'idempotency-key'], ''],
  ])('when the loc is %j, then ERR-2 reads %j', (loc, erl) => {
    expect(hl7ErrorLocation(loc)).toBe(erl);
  });
});

describe('hl7ErrorCode', () => {
  test.each([
    ['value_error.missing', ['body', 'PID', 3], '101^Required field missing'],
    ['value_error.hl7.message_type', ['body', 'MSH', 9, 1], '200^Unsupported message type'],
    ['value_error.hl7.trigger_event', ['body', 'MSH', 9, 2], '201^Unsupported event code'],
    ['value_error.hl7.version', ['body', 'MSH', 12], '203^Unsupported version id'],
    ['value_error.hl7.parse', ['body'], '100^Segment sequence error'],
    ['value_error.hl7.segment_missing', ['body', 'SCH'], '100^Segment sequence error'],
    ['value_error.idempotency_key_reused', ['body', 'MSH', 10], '205^Duplicate key identifier'],
    ['value_error.hl7.filler_status', ['body', 'SCH', 25], '103^Table value not found'],
    ['type_error.enum', ['body', 'SCH', 25], '103^Table value not found'],
    ['value_error.hl7.timestamp', ['body', 'EVN', 6], '102^Data type error'],
    ['value_error.any_str.max_length', ['body', 'PID', 3, 1, 1], '102^Data type error'],
    ['auth_error.invalid_key', ['header', 'authorization'], '207^Application internal error'],
    ['rate_limit_exceeded', [], '207^Application internal error'],
    ['value_error.idempotency_key.mismatch', ['header', 'idempotency-key'], '207^Application internal error'],
  ] as const)('when the error type is %s, then ERR-3 uses table 0357 code %s', (type, loc, code) => {
    expect(hl7ErrorCode({ type, loc })).toBe(code);
  });
});

const RECEIVED = readHl7Header(HEADER)!;

describe('hl7Ack', () => {
  test('when a message was stored, then the AA swaps sender and receiver, echoes trigger, version and control id, and ends each segment with CR', () => {
    const ack = hl7Ack({ received: RECEIVED, ackCode: 'AA', controlId: 'req-1', now: NOW, errors: [], text: 'event 42 stored' });
    expect(ack).toBe(
      'MSH|^~\\&|APPTWH|RECEIVER|CLINICSCHED^2.16.840.1.113883.3.9999^ISO|NORTHSIDE|20250106090000.120+0000||ACK^S12^ACK|req-1|P|2.5.1\r' +
        'MSA|AA|NS-20250106-0001|event 42 stored\r',
    );
  });

  test('when errors are given, then each becomes an ERR with its location, table 0357 code, our type in ERR-5 and msg in ERR-8', () => {
    const errors: ErrorDetail[] = [
      { loc: ['body', 'PID', 3], msg: 'no PID-3 identifier of type MR', type: 'value_error.missing' },
      { loc: ['body', 'EVN', 6], msg: 'EVN-6 must carry its UTC offset (+HHMM or -HHMM)', type: 'value_error.hl7.timestamp_zone' },
    ];
    const ack = hl7Ack({ received: RECEIVED, ackCode: 'AE', controlId: 'req-2', now: NOW, errors, text: 'Invalid payload structure' });
    expect(ack.split('\r').slice(1)).toEqual([
      'MSA|AE|NS-20250106-0001|Invalid payload structure',
      'ERR||PID^1^3|101^Required field missing^HL70357|E|value_error.missing|||no PID-3 identifier of type MR',
      'ERR||EVN^1^6|102^Data type error^HL70357|E|value_error.hl7.timestamp_zone|||EVN-6 must carry its UTC offset (+HHMM or -HHMM)',
      '',
    ]);
  });

  test('when nothing of the message could be read, then the ACK has empty addresses, version 2.5.1 and a bare ACK type', () => {
    const ack = hl7Ack({ ackCode: 'AR', controlId: 'req-3', now: NOW, errors: [] });
    expect(ack).toBe('MSH|^~\\&|||||20250106090000.120+0000||ACK|req-3|P|2.5.1\rMSA|AR|\r');
  });

  test('when received values hold delimiters and line breaks, then they are escaped so the ACK keeps its structure', () => {
    const received: Hl7Header = { ...RECEIVED, sendingApplication: ['EVIL|APP', 'x^y'], controlId: 'A|B\rMSA|AA', trigger: 'S1~2', version: '2.5&1' };
    const ack = hl7Ack({ received, ackCode: 'AE', controlId: 'r|4', now: NOW, errors: [{ loc: ['body'], msg: 'a|b', type: 'value_error.hl7.parse' }], text: 'x\ny' });
    const parsed = Hl7Message.parse(ack);
    expect(ack.split('\r')).toHaveLength(4);
    expect(parsed.header.getField(5).toString()).toBe('EVIL\\F\\APP^x\\S\\y');
    expect(parsed.header.getField(9).toString()).toBe('ACK^S1\\R\\2^ACK');
    expect(parsed.header.getField(10).toString()).toBe('r\\F\\4');
    expect(parsed.header.getField(12).toString()).toBe('2.5\\T\\1');
    expect(parsed.getSegment('MSA')?.getField(2).toString()).toBe('A\\F\\B\\X0D\\MSA\\F\\AA');
    expect(parsed.getSegment('MSA')?.getField(3).toString()).toBe('x\\.br\\y');
    expect(parsed.getSegment('ERR')?.getField(8).toString()).toBe('a\\F\\b');
  });

  test('when an ACK is built, then it matches the pattern the contract declares for acknowledgements', () => {
    const ack = hl7Ack({ received: RECEIVED, ackCode: 'AE', controlId: 'req-5', now: NOW, errors: [], text: 't' });
    expect(ack).toMatch(/^MSH\|\^~\\&\|[^\r]*\rMSA\|(AA|AE|AR)\|/);
  });
});
