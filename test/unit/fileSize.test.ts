/**
 * Files stay short enough to read in one sitting: a source file (src/, test/, scripts/ and the
 * configuration beside them; .ts .js .mjs .cjs .sh .py) over 200 lines says why within its first
 * five lines, in a comment starting with the marker (`// Over 200 lines: <reason>`, or `#` for
 * shell and Python). Generated code and data fixtures are not counted. A marker on a file that is
 * no longer over the limit is stale and fails too, so the reasons stay true.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';

const LIMIT = 200;
const MARKER = 'Over 200 lines:';
const SOURCE_EXTENSIONS = new Set(['.ts', '.js', '.mjs', '.cjs', '.sh', '.py']);
const NOT_COUNTED = ['generated/', 'test/fixtures/', 'docs/'];

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The note on a file's length, from its first five lines: undefined when there is none, '' when it gives no reason. */
function statedReason(path: string, text: string): string | undefined {
  const opening = `${['.sh', '.py'].includes(extname(path)) ? '#' : '//'} ${MARKER}`;
  const line = text
    .split('\n', 5)
    .map((l) => l.trim())
    .find((l) => l.startsWith(opening));
  return line?.slice(opening.length).trim();
}

/** Every source file git tracks, or would track (new files not ignored), that exists on disk. */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return [...new Set(listed.split('\0'))]
    .filter((path) => SOURCE_EXTENSIONS.has(extname(path)) && !NOT_COUNTED.some((dir) => path.startsWith(dir)))
    .filter((path) => existsSync(join(PROJECT_ROOT, path)))
    .sort();
}

/** Problems with the lengths and markers of these files. */
function lengthProblems(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, text] of files) {
    const lines = lineCount(text);
    const reason = statedReason(path, text);
    if (lines > LIMIT && !reason) problems.push(`${path} has ${lines} lines and does not say why in its first five ("${MARKER} …")`);
    if (lines <= LIMIT && reason !== undefined) problems.push(`${path} has ${lines} lines: its "${MARKER}" note is stale`);
  }
  return problems;
}

describe('file size', () => {
  const files = sourceFiles();

  test('when the source files are listed, then src, test and scripts are in, generated code and data fixtures are not', () => {
    expect(files).toEqual(expect.arrayContaining(['src/app.ts', 'test/unit/fileSize.test.ts', 'scripts/bench.mjs']));
    expect(files.filter((path) => path.startsWith('generated/') || path.startsWith('test/fixtures/'))).toEqual([]);
  });

  test('when a source file is over 200 lines, then its first five lines say why, and a file under the limit carries no such note', () => {
    expect(lengthProblems(new Map(files.map((path) => [path, readFileSync(join(PROJECT_ROOT, path), 'utf8')])))).toEqual([]);
  });
});

describe('the file size check itself', () => {
  const long = (first: string) => `${first}\n${'x;\n'.repeat(LIMIT)}`;

  test('when a long file has no reason, or an empty one, then it is reported', () => {
    const problems = lengthProblems(new Map([
      ['a.ts', long('// nothing said')],
      ['b.ts', long('// Over 200 lines:')],
    ]));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^a\.ts has 201 lines/);
  });

  test('when a long file states its reason within five lines, with the comment of its language, then it passes', () => {
    const files = new Map([
      ['a.ts', long('/**\n * Header.\n */\n// Over 200 lines: one feature, shared setup.')],
      ['b.sh', long('#!/usr/bin/env bash\n# Over 200 lines: one install, step by step.')],
    ]);
    expect(lengthProblems(files)).toEqual([]);
  });

  test('when the reason is below line five, or uses another language\'s comment, then it is not found', () => {
    expect(statedReason('a.ts', '1\n2\n3\n4\n5\n// Over 200 lines: late.')).toBeUndefined();
    expect(statedReason('a.ts', '/**\n * // Over 200 lines: inside another comment.\n */')).toBeUndefined();
    expect(statedReason('a.py', '// Over 200 lines: wrong comment.')).toBeUndefined();
  });

  test('when a file of 200 lines or fewer carries the note, then the note is reported as stale', () => {
    expect(lengthProblems(new Map([['short.ts', '// Over 200 lines: no longer.\nx;\n']]))).toEqual(['short.ts has 2 lines: its "Over 200 lines:" note is stale']);
  });
});
