/**
 * Checks on JSON text that JSON.parse has already accepted, for what it lets through silently:
 * a key repeated in any object (parsers disagree on which value wins, so a signed or validated
 * body could mean two things), nesting far deeper than any event needs, and, in the event
 * object itself, names that reach object prototypes or read as MongoDB operators ($…), as the
 * spec's SafeName says. What unknown fields hold is never stored or merged, so it is not
 * searched for such names. One pass, no recursion, so depth cannot blow the stack.
 */
export type JsonHazard = 'duplicate_key' | 'forbidden_key' | 'too_deep';

export const MAX_DEPTH = 32;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

interface ObjectFrame {
  keys: Set<string>;
  expectKey: boolean;
}

export function findJsonHazard(text: string): JsonHazard | undefined {
  const stack: (ObjectFrame | null)[] = []; // null marks an array
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      let escaped = false;
      while (text[end] !== '"') {
        if (text[end] === '\\') {
          escaped = true;
          end += 2;
        } else end += 1;
      }
      const frame = stack[stack.length - 1];
      if (frame?.expectKey) {
        // Only a key with an escape needs decoding (most have none).
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (stack.length === 1 && (FORBIDDEN.has(key) || key.startsWith('$'))) return 'forbidden_key';
        if (frame.keys.has(key)) return 'duplicate_key';
        frame.keys.add(key);
        frame.expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) return 'too_deep';
      stack.push(c === '{' ? { keys: new Set(), expectKey: true } : null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const frame = stack[stack.length - 1];
      if (frame) frame.expectKey = true;
    }
  }
  return undefined;
}
