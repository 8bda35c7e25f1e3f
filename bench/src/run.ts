// Runs the model's speed suites one after another in this process and prints a table per suite.
// BENCH_SUITE=name runs one suite; BENCH_JSON=path also writes the reports as JSON.
import { writeFileSync } from 'node:fs';
import { gpcSuite } from './gpc.bench.ts';
import { formatReport, runSuite, type SuiteDefinition, type SuiteReport, sinkValue } from './harness.ts';
import { memoryCoreSuite } from './memory-core.bench.ts';

/** Every suite, by name. Add new suites here. */
const suites: readonly SuiteDefinition[] = [memoryCoreSuite, gpcSuite];

const only = process.env.BENCH_SUITE;
const chosen = only ? suites.filter((s) => s.name === only) : suites;
if (chosen.length === 0) {
  console.error(`unknown suite ${only}; suites: ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const reports: SuiteReport[] = [];
for (const s of chosen) {
  const report = await runSuite(s.name, s.tasks, s.baseline);
  reports.push(report);
  console.log(`${formatReport(report)}\n`);
}
if (process.env.BENCH_JSON) {
  writeFileSync(
    process.env.BENCH_JSON,
    `${JSON.stringify({ schema: 1, reports, sink: sinkValue() }, null, 2)}\n`,
  );
}
