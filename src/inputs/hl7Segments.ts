import type { Hl7Field, Hl7Message, Hl7Segment } from '@medplum/core';
import { decodeHl7, type Hl7Delimiters } from './hl7Text';

/**
 * Reading the parts of a parsed HL7 v2 message the SIU mapping needs (src/inputs/hl7v2.ts), and
 * nothing else: fields without medplum's throwing paths, segments by exact name, the
 * appointment's own notes.
 */

/**
 * One segment's fields, read safely: medplum's getField returns undefined for an absent field
 * (though typed as present) and getComponent throws on an absent repetition.
 */
export class Fields {
  constructor(
    private readonly d: Hl7Delimiters,
    private readonly segment: Hl7Segment,
  ) {}

  /** The components of one repetition of a field, as sent (undecoded). */
  repetitions(field: number): readonly string[][] {
    return (this.segment.getField(field) as Hl7Field | undefined)?.components ?? [];
  }

  /** One component as sent; '' when absent. */
  raw(field: number, component: number, repetition = 0): string {
    return this.repetitions(field)[repetition]?.[component - 1] ?? '';
  }

  /** One component decoded; '' when absent, empty or the HL7 null `""`. */
  value(field: number, component: number, repetition = 0): string {
    return this.decoded(this.raw(field, component, repetition));
  }

  /** A whole field decoded (its delimiters kept), as MSH-10 is read. */
  whole(field: number): string {
    return this.decoded((this.segment.getField(field) as Hl7Field | undefined)?.toString() ?? '');
  }

  decoded(raw: string): string {
    return raw === '""' ? '' : decodeHl7(raw, this.d);
  }
}

/** The first segment of that name (medplum files a segment under its first three characters). */
export function segmentOf(message: Hl7Message, name: string): Hl7Segment | undefined {
  return message.getAllSegments(name).find((segment) => segment.name === name);
}

/**
 * NTE-3 of the NTE segments before the first RGS, every repetition decoded, joined by line
 * breaks; null when there is none. Which NTEs come before RGS is counted in the text (a segment
 * starts after CR or LF, as medplum splits it) so no other segment is parsed.
 */
export function appointmentNotes(message: Hl7Message, text: string, d: Hl7Delimiters): string | null {
  let segments = message.getAllSegments('NTE');
  if (segments.length === 0) return null;
  const rgs = segmentStart(text, 'RGS', text.length, 1, d.field);
  if (rgs < text.length) {
    let before = 0;
    for (let at = segmentStart(text, 'NTE', rgs); at < rgs; at = segmentStart(text, 'NTE', rgs, at + 3)) before++;
    segments = segments.slice(0, before);
  }
  const lines: string[] = [];
  for (const segment of segments) {
    if (segment.name !== 'NTE') continue;
    const nte = new Fields(d, segment);
    for (const repetition of nte.repetitions(3)) {
      // NTE-3 is formatted text: an unescaped component separator in it is text, not structure.
      const line = nte.decoded(repetition.join(d.component));
      if (line !== '') lines.push(line);
    }
  }
  return lines.length > 0 ? lines.join('\n') : null;
}

/**
 * Where the first segment whose name starts with `name` (medplum's grouping) starts, at or after
 * `from` and before `limit`; `limit` if none. With `field`, the name must be whole (then a field
 * separator or the line's end).
 */
function segmentStart(text: string, name: string, limit: number, from = 1, field?: string): number {
  for (let at = text.indexOf(name, from); at >= 0 && at < limit; at = text.indexOf(name, at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (before !== 0x0d && before !== 0x0a) continue;
    const after = text.charAt(at + name.length);
    if (field === undefined || after === field || after === '' || after === '\r' || after === '\n') return at;
  }
  return limit;
}
