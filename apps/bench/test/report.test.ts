import { describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.ts';
import { renderJson } from '../src/report/json.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { buildReport, REPORT_SCHEMA } from '../src/report/report.ts';
import { renderTerminalTable } from '../src/report/terminal.ts';
import { fakeConfig, fakeReport, fakeRuns } from './fixtures/fake-report.ts';

describe('report.json', () => {
  it('has the v1 shape: schema, seed, config, and results in config order', async () => {
    const report = await fakeReport();
    expect(Object.keys(report)).toEqual(['schema', 'seed', 'config', 'results']);
    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(report.seed).toBe(42);
    expect(report.results.map((r) => `${r.workload}/${r.backend}`)).toEqual([
      'fake-churn/fake-direct',
      'fake-churn/fake-global',
      'fake-churn/fake-local',
      'fake-clock/fake-direct',
      'fake-clock/fake-global',
      'fake-clock/fake-local',
    ]);
    const [first] = report.results;
    expect(Object.keys(first ?? {})).toEqual(['workload', 'backend', 'ops', 'cost', 'safety']);
    expect(Object.keys(first?.cost ?? {})).toEqual([
      'cycles',
      'cyclesPerOp',
      'mapCalls',
      'unmapCalls',
      'mapFailures',
      'wouldBlock',
      'tlbFlushesLocal',
      'tlbFlushesGlobal',
      'ipis',
      'vaBytesPeak',
      'pageTablePages',
      'directMapSplits',
    ]);
    expect(Object.keys(first?.safety ?? {})).toEqual([
      'oopses',
      'faults',
      'exposurePageNs',
      'foreignExposurePageNs',
      'staleTranslationNs',
      'useAfterFreeWindows',
      'useAfterFreeAccesses',
    ]);
  });

  it('is byte-identical for the same input, whatever order the runs finished in', async () => {
    const config = fakeConfig();
    const runs = await fakeRuns(config);
    const again = await fakeRuns(fakeConfig());
    const a = buildReport(config, runs);
    const b = buildReport(fakeConfig(), [...again].reverse());
    for (const render of [renderJson, renderMarkdown, renderHtml, renderTerminalTable]) {
      expect(render(b)).toBe(render(a));
    }
    expect(renderJson(a)).not.toMatch(/20\d\d-\d\d-\d\dT|"(time|date|createdAt|wall)/i);
  });

  it('changes with the seed, and follows the order of --workloads and --backends', async () => {
    const a = await fakeReport();
    const b = await fakeReport({ seed: 43 });
    expect(renderJson(b)).not.toBe(renderJson(a));
    const picked = await fakeReport({ workloads: ['fake-clock'], backends: ['fake-local', 'fake-direct'] });
    expect(picked.results.map((r) => `${r.workload}/${r.backend}`)).toEqual([
      'fake-clock/fake-local',
      'fake-clock/fake-direct',
    ]);
  });

  it('records workload notes only where there are some', async () => {
    const yaml =
      'seed: 1\nmachine: { cpus: 2 }\nbackends: [fake-local]\nworkloads: { fake-churn: {} }\nkernel: { flushOnZap: false }\n';
    const report = await fakeReport({}, yaml);
    expect(report.results[0]?.notes).toEqual(['flushOnZap off: stale entries expected']);
    expect((await fakeReport()).results.some((r) => 'notes' in r)).toBe(false);
  });
});
