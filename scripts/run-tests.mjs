// Runs every package's tests in one vitest process and prints the plain closing line
// `N passed, N failed` that CI reads (vitest's own summary is not one of its formats).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const report = '.vitest-report.json';
rmSync(report, { force: true });
const args = [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync('vitest', args, { stdio: 'inherit', shell: false });
let passed = 0;
let failed = 0;
let success = false;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests;
  // A file that fails before any test runs (a throwing import, a browser that will not start) has
  // no failed test in it: count it as one, so the line never says 0 failed on a red run.
  const brokenFiles = r.testResults.filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  failed = r.numFailedTests + brokenFiles;
  success = r.success === true;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(success && run.status === 0 && failed === 0 ? 0 : 1);
