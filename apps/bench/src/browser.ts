// `@khva/bench/browser`: what the bench app does that needs no file system, for the browser playground
// (apps/web): the model's catalog, the config schema and its messages, the run, the report and sweep pages.
// Nothing reachable from here may import a Node-only module; apps/web's build fails if one does.
export type { BenchRegistry } from './bench-registry.ts';
export type { BenchConfig } from './config/bench-config.ts';
export { ConfigError, type ConfigIssue, formatIssue } from './config/config-error.ts';
export { type ConfigFormat, parseConfigText, validateConfig } from './config/validate.ts';
export { modelRegistry } from './model-registry.ts';
export { renderHtml } from './report/html.ts';
export { renderJson } from './report/json.ts';
export { renderReports } from './report/render-reports.ts';
export { buildReport, REPORT_SCHEMA, type Report } from './report/report.ts';
export { RunError } from './run/run-error.ts';
export { type MatrixProgress, type MatrixRun, runMatrix } from './run/run-matrix.ts';
export { renderSweepFiles } from './sweep/render-sweep.ts';
export { SWEEP_SCHEMA, type Sweep } from './sweep/sweep.ts';
