// Records jest's totals in reports/jest-summary.json for scripts/run-tests.mjs, which prints the
// one closing "N passed, N failed" line of `npm test` over every runner.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.reports = join(globalConfig.rootDir, 'reports');
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load runs no test; count it as a failure so the total cannot hide it.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    mkdirSync(this.reports, { recursive: true });
    writeFileSync(join(this.reports, 'jest-summary.json'), JSON.stringify({ passed: results.numPassedTests, failed, skipped }));
    console.log(`\njest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  }
}
module.exports = SummaryReporter;
