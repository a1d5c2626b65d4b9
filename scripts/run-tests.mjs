// The test runners of `npm test`, one after the other: jest (unit, HTTP, browser), the load
// test alone, then contract fuzzing. Both run even when the first fails, so one run reports everything; each leaves its
// totals in reports/, and the last line printed is the total over both, in the plain form
// "N passed, N failed" that CI counts. Exits 1 when anything failed or a runner left no totals.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// The load tests in test/load (the feed's no-gap proof, several instances writing and limiting
// at once) load the machine with several instances: they run alone, after the others, so that
// tests with time bounds never share the machine with them.
const LOAD_TESTS = '/test/load/';
const jest = join(ROOT, 'node_modules/.bin/jest');
const runners = [
  { name: 'jest', command: [jest, '--testPathIgnorePatterns', LOAD_TESTS, ...process.argv.slice(2)], summary: 'reports/jest-summary.json' },
  { name: 'jest (load)', command: [jest, LOAD_TESTS], summary: 'reports/jest-summary.json' },
  { name: 'fuzz', command: [process.execPath, join(ROOT, 'scripts/fuzz.mjs')], summary: 'reports/fuzz-summary.json' },
];

let passed = 0;
let failed = 0;
for (const runner of runners) {
  const summaryPath = join(ROOT, runner.summary);
  rmSync(summaryPath, { force: true });
  const [command, ...args] = runner.command;
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(summaryPath)) {
    console.error(`${runner.name}: ended (exit ${result.status ?? result.signal}) without reporting its totals; counted as one failure`);
    failed += 1;
    continue;
  }
  const totals = JSON.parse(readFileSync(summaryPath, 'utf8'));
  passed += totals.passed;
  failed += totals.failed;
  if (result.status !== 0 && totals.failed === 0) {
    console.error(`${runner.name}: exited with ${result.status ?? result.signal} although no test failed; counted as one failure`);
    failed += 1;
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
