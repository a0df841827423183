// Ends every run with one plain line, "N passed, N failed", that any CI log reader understands.
// It is written when the process exits, after Jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const brokenSuites = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + brokenSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    process.once('exit', () => process.stderr.write(`\n${line}`));
  }
}
module.exports = SummaryReporter;
