// Public API of @khva/bench: the workload contract, the registry pieces, config, reports and the CLI.
export type { BenchRegistry } from './bench-registry.ts';
export { hasModel, withBackends } from './bench-registry.ts';
export { main, runCli } from './cli.ts';
export type { BenchConfig } from './config/bench-config.ts';
export type { ConfigIssue } from './config/config-error.ts';
export { ConfigError, formatIssue } from './config/config-error.ts';
export { CONFIG_SCHEMA_FILE, configJsonSchema, renderConfigJsonSchema } from './config/json-schema.ts';
export { loadConfigFile, loadConfigWithBackends, parseConfigText, validateConfig } from './config/load.ts';
export type { ConfigOverrides } from './config/overrides.ts';
export { createConfigSchema } from './config/schema.ts';
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
export type { CliIo, TextSink } from './io.ts';
export { processIo } from './io.ts';
export type { MetricColumn, MetricInfo } from './metrics.ts';
export { COST_METRICS, METRIC_COLUMNS, SAFETY_METRICS } from './metrics.ts';
export { defaultRegistry } from './registry.ts';
export { renderHtml } from './report/html.ts';
export { renderJson } from './report/json.ts';
export { renderMarkdown } from './report/markdown.ts';
export { renderReports } from './report/render-reports.ts';
export type { Report, ReportEntry } from './report/report.ts';
export { buildReport, REPORT_SCHEMA } from './report/report.ts';
export { renderTerminalTable } from './report/terminal.ts';
export { writeReportFiles } from './report/write-reports.ts';
export { RunError } from './run/run-error.ts';
export type { MatrixProgress, MatrixRun } from './run/run-matrix.ts';
export { runMatrix } from './run/run-matrix.ts';
export type { ScenarioFailure, ScenarioOptions, ScenarioOutcome, ScenarioRunner } from './scenario.ts';
export type {
  CostMetrics,
  KernelOptions,
  MachineOptions,
  SafetyMetrics,
  WorkloadDefinition,
  WorkloadParams,
  WorkloadParamsSchema,
  WorkloadResult,
  WorkloadRunContext,
} from './workload.ts';
export { defineWorkload } from './workload.ts';
export type { RegisteredWorkload, WorkloadRegistry } from './workload-registry.ts';
export { createWorkloadRegistry } from './workload-registry.ts';
