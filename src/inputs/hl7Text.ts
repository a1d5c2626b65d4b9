/**
 * HL7 v2 text: the encoding characters a message declares, its escape sequences (HL7 2.5.1
 * §2.7) both ways, and its date/time (DTM) as RFC 3339. Pure functions that never throw.
 */

export interface Hl7Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
}

/** The encoding characters HL7 recommends, and the ones our acknowledgements use. */
export const STANDARD_DELIMITERS: Hl7Delimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

/** A delimiter must be printable ASCII and neither a letter nor a digit (HL7 2.5.1 §2.5.4). */
function isDelimiter(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code < 0x21 || code > 0x7e) return false;
  return !((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a));
}

const endsField = (char: string, field: string): boolean => char === '' || char === field || char === '\r' || char === '\n';

/**
 * The encoding characters of a message that starts with MSH: MSH-1, then the four of MSH-2
 * (a fifth, the v2.7 truncation character, is allowed and not used). Undefined when they cannot
 * be read: missing, repeated, letters or digits, or MSH-2 not followed by a field separator.
 */
export function readDelimiters(text: string): Hl7Delimiters | undefined {
  if (!text.startsWith('MSH') || text.length < 8) return undefined;
  const chars = text.slice(3, 8);
  for (let i = 0; i < chars.length; i++) {
    if (!isDelimiter(chars.charAt(i)) || chars.indexOf(chars.charAt(i)) !== i) return undefined;
  }
  const field = chars.charAt(0);
  const after = text.charAt(8);
  if (!endsField(after, field) && !(isDelimiter(after) && !chars.includes(after) && endsField(text.charAt(9), field))) return undefined;
  return { field, component: chars.charAt(1), repetition: chars.charAt(2), escape: chars.charAt(3), subcomponent: chars.charAt(4) };
}

/** Formatting commands (§2.7.6) that carry no text of their own; a number may follow some. */
const DROPPED_COMMANDS = ['.in', '.ti', '.sk', '.ce', '.fi', '.nf'];
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const isHexDigit = (code: number): boolean => (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
const isHexPair = (hex: string, at: number): boolean => isHexDigit(hex.charCodeAt(at)) && isHexDigit(hex.charCodeAt(at + 1));

/** \Xhhhh\ as UTF-8 bytes; undefined (kept literally) when the hex or the UTF-8 is not valid. */
function hexText(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    if (!isHexPair(hex, 2 * i)) return undefined;
    bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** What one escape sequence (its content between the escape characters) stands for; undefined if unknown. */
function unescaped(content: string, d: Hl7Delimiters): string | undefined {
  switch (content) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'H':
    case 'N':
      return '';
    case '.br':
      return '\n';
  }
  if (content.startsWith('X')) return hexText(content.slice(1));
  if (content.startsWith('.sp') && isCommandArgument(content.slice(3))) return '\n';
  for (const command of DROPPED_COMMANDS) {
    if (content.startsWith(command) && isCommandArgument(content.slice(command.length))) return '';
  }
  return undefined;
}

/** The optional argument of a formatting command: a signed or unsigned whole number. */
function isCommandArgument(argument: string): boolean {
  const digits = argument.startsWith('+') || argument.startsWith('-') ? argument.slice(1) : argument;
  if (argument.length > 0 && digits.length === 0) return false;
  for (let i = 0; i < digits.length; i++) {
    const code = digits.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** A value's text with its escape sequences decoded; an unknown or unterminated one is kept as sent. */
export function decodeHl7(text: string, d: Hl7Delimiters): string {
  let start = text.indexOf(d.escape);
  if (start < 0) return text;
  let out = '';
  let done = 0;
  while (start >= 0) {
    const end = text.indexOf(d.escape, start + 1);
    if (end < 0) break;
    const replacement = unescaped(text.slice(start + 1, end), d);
    if (replacement === undefined) {
      // Kept as sent; its closing character may open the next sequence (a bare backslash in a path).
      start = end;
      continue;
    }
    out += text.slice(done, start) + replacement;
    done = end + 1;
    start = text.indexOf(d.escape, end + 1);
  }
  return out + text.slice(done);
}

/**
 * Text made safe to place in one component: delimiters become \F\ \S\ \T\ \R\ \E\, a line feed
 * \.br\ (\X0A\ if '.' is a delimiter) and a carriage return \X0D\, so decoding gives the text back.
 */
export function encodeHl7(text: string, d: Hl7Delimiters = STANDARD_DELIMITERS): string {
  // \.br\ cannot be written when '.' is itself a delimiter or the escape character.
  const lineBreak = [d.field, d.component, d.repetition, d.escape, d.subcomponent].includes('.') ? 'X0A' : '.br';
  let out = '';
  let done = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    let replacement: string | undefined;
    if (char === d.escape) replacement = 'E';
    else if (char === d.field) replacement = 'F';
    else if (char === d.component) replacement = 'S';
    else if (char === d.subcomponent) replacement = 'T';
    else if (char === d.repetition) replacement = 'R';
    else if (char === '\n') replacement = lineBreak;
    else if (char === '\r') replacement = 'X0D';
    if (replacement === undefined) continue;
    out += text.slice(done, i) + d.escape + replacement + d.escape;
    done = i + 1;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** HL7 DTM to the minute at least, with optional seconds, fraction (1 to 4 digits) and offset. */
const DTM = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(?:(\d\d)(?:\.(\d{1,4}))?)?(?:([+-])(\d\d)(\d\d))?$/;

export type Hl7Instant = { ok: true; timestamp: string } | { ok: false; problem: 'format' | 'zone' };

const daysIn = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

/**
 * An HL7 date/time as RFC 3339 ('20261201083000-0500' → '2026-12-01T08:30:00-05:00'): seconds
 * '00' when absent, the fraction kept as sent. 'format' when it is less precise than a minute or
 * names no real date or time (second 60 included, which the JSON route refuses too); 'zone' when
 * it is otherwise fine but has no offset, so names no instant.
 */
export function hl7Instant(text: string): Hl7Instant {
  const m = DTM.exec(text);
  if (!m) return { ok: false, problem: 'format' };
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '00', fraction, sign, offsetHour = '', offsetMinute = ''] = m;
  const monthNumber = Number(month);
  const valid =
    monthNumber >= 1 &&
    monthNumber <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysIn(Number(year), monthNumber) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    (sign === undefined || (Number(offsetHour) <= 23 && Number(offsetMinute) <= 59));
  if (!valid) return { ok: false, problem: 'format' };
  if (sign === undefined) return { ok: false, problem: 'zone' };
  const fractionText = fraction === undefined ? '' : `.${fraction}`;
  return { ok: true, timestamp: `${year}-${month}-${day}T${hour}:${minute}:${second}${fractionText}${sign}${offsetHour}:${offsetMinute}` };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** An instant as an HL7 DTM in UTC to the millisecond, as acknowledgements carry it: YYYYMMDDHHMMSS.SSS+0000. */
export function hl7DateTime(instant: Date): string {
  const date = `${pad(instant.getUTCFullYear(), 4)}${pad(instant.getUTCMonth() + 1)}${pad(instant.getUTCDate())}`;
  const time = `${pad(instant.getUTCHours())}${pad(instant.getUTCMinutes())}${pad(instant.getUTCSeconds())}.${pad(instant.getUTCMilliseconds(), 3)}`;
  return `${date}${time}+0000`;
}
