import type { ErrorDetail } from '../errors';
import { decodeHl7, encodeHl7, hl7DateTime, readDelimiters } from './hl7Text';

/**
 * The HL7 v2 acknowledgement (ACK) of a message, and the little of the message's header it needs.
 * Pure. Every value is escaped with the standard encoding characters, so a sender's application
 * name holding '|' cannot break the reply; an error's msg never holds message content.
 */

export type AckCode = 'AA' | 'AE' | 'AR';

/** What an ACK echoes from the message's MSH, decoded; application and facility by component (HD). */
export interface Hl7Header {
  sendingApplication: readonly string[];
  sendingFacility: readonly string[];
  receivingApplication: readonly string[];
  receivingFacility: readonly string[];
  /** MSH-9.2. */
  trigger: string;
  /** MSH-10, the whole field. */
  controlId: string;
  /** MSH-12.1. */
  version: string;
  /** MSH-11.1: P (production), T (training) or D (debugging); empty when not sent. */
  processingId: string;
}

export interface AckInput {
  /** The message's header, when it could be read. */
  received?: Hl7Header | undefined;
  ackCode: AckCode;
  /** Our id for the ACK itself (its MSH-10). */
  controlId: string;
  now: Date;
  errors: readonly ErrorDetail[];
  /** MSA-3, the text message. */
  text?: string;
}

/**
 * The header of a message, read leniently from its first segment alone (no other segment is
 * looked at), so that a message refused for anything later is still answered to its sender.
 * Undefined when the text does not start with MSH and readable encoding characters.
 */
export function readHl7Header(text: string): Hl7Header | undefined {
  const d = readDelimiters(text);
  if (!d) return undefined;
  let end = text.length;
  const cr = text.indexOf('\r');
  const lf = text.indexOf('\n');
  if (cr >= 0) end = cr;
  if (lf >= 0 && lf < end) end = lf;
  // MSH-1 is the separator itself, so MSH-n is piece n - 1 of the split (MSH-2 is piece 1).
  const fields = text.slice(0, end).split(d.field);
  const field = (n: number): string => fields[n - 1] ?? '';
  const unNull = (value: string): string => (value === '""' ? '' : value);
  const components = (n: number): string[] => (field(n).split(d.repetition)[0] ?? '').split(d.component).map((c) => unNull(decodeHl7(c, d)));
  return {
    sendingApplication: components(3),
    sendingFacility: components(4),
    receivingApplication: components(5),
    receivingFacility: components(6),
    trigger: components(9)[1] ?? '',
    controlId: unNull(decodeHl7(field(10), d)),
    version: components(12)[0] ?? '',
    processingId: components(11)[0] ?? '',
  };
}

/** HL7 table 0357 (message error condition codes) by our error type. */
const TABLE_0357: Readonly<Record<string, string>> = {
  'value_error.missing': '101^Required field missing',
  'value_error.hl7.message_type': '200^Unsupported message type',
  'value_error.hl7.trigger_event': '201^Unsupported event code',
  'value_error.hl7.version': '203^Unsupported version id',
  'value_error.hl7.processing_id': '202^Unsupported processing id',
  'value_error.hl7.parse': '100^Segment sequence error',
  'value_error.hl7.segment_missing': '100^Segment sequence error',
  'value_error.idempotency_key_reused': '205^Duplicate key identifier',
  'value_error.hl7.filler_status': '103^Table value not found',
  'type_error.enum': '103^Table value not found',
};
const DATA_TYPE_ERROR = '102^Data type error';
const INTERNAL_ERROR = '207^Application internal error';

/** The table 0357 code of an error: 207 for what is not about the message (credentials, limits, headers). */
export function hl7ErrorCode(error: Pick<ErrorDetail, 'type' | 'loc'>): string {
  if (error.loc[0] !== 'body' || error.type.startsWith('auth_error.') || error.type === 'rate_limit_exceeded') return INTERNAL_ERROR;
  return (Object.hasOwn(TABLE_0357, error.type) ? TABLE_0357[error.type] : undefined) ?? DATA_TYPE_ERROR;
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;

/**
 * ERR-2 (ERL: segment^sequence^field^repetition^component^subcomponent) of an error's loc.
 * The locs this service gives after 'body' and the segment are [field], [field, component] or
 * [field, repetition, component] (PID-3), 1-based; the sequence is always 1 (the first segment
 * of that name is the one read, and NTE notes are located at the first NTE). Empty when the
 * loc names no HL7 position (a header, the whole body).
 */
export function hl7ErrorLocation(loc: ErrorDetail['loc']): string {
  const segment = loc[1];
  if (loc[0] !== 'body' || typeof segment !== 'string' || !SEGMENT_ID.test(segment)) return '';
  const numbers = loc.slice(2);
  if (!numbers.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1)) return segment + '^1';
  const [field, second, third, fourth] = numbers.map(String);
  if (field === undefined) return `${segment}^1`;
  if (second === undefined) return `${segment}^1^${field}`;
  if (third === undefined) return `${segment}^1^${field}^1^${second}`;
  return [segment, '1', field, second, third, ...(fourth === undefined ? [] : [fourth])].join('^');
}

/** HD and other component lists, each component escaped. */
const components = (values: readonly string[] | undefined): string => (values ?? []).map((value) => encodeHl7(value)).join('^');

/**
 * The ACK as ER7 text with the standard encoding characters, each segment (MSH, MSA, one ERR per
 * error) ended by a CR, as MLLP senders expect. ERR-5 carries our error type, ERR-8 its msg.
 */
export function hl7Ack(input: AckInput): string {
  const { received } = input;
  const trigger = received?.trigger ? `ACK^${encodeHl7(received.trigger)}^ACK` : 'ACK';
  const msh = [
    'MSH',
    '^~\\&',
    components(received?.receivingApplication),
    components(received?.receivingFacility),
    components(received?.sendingApplication),
    components(received?.sendingFacility),
    hl7DateTime(input.now),
    '',
    trigger,
    encodeHl7(input.controlId),
    // The acknowledgement is processed as the message was (a training message, a training ACK).
    received?.processingId ? encodeHl7(received.processingId) : 'P',
    received?.version ? encodeHl7(received.version) : '2.5.1',
  ];
  const msa = ['MSA', input.ackCode, encodeHl7(received?.controlId ?? ''), ...(input.text === undefined ? [] : [encodeHl7(input.text)])];
  const errs = input.errors.map((error) =>
    ['ERR', '', hl7ErrorLocation(error.loc), `${hl7ErrorCode(error)}^HL70357`, 'E', encodeHl7(error.type), '', '', encodeHl7(error.msg)].join('|'),
  );
  return [msh.join('|'), msa.join('|'), ...errs].map((segment) => segment + '\r').join('');
}
