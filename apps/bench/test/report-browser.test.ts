// Opens a generated report.html in headless Chromium (Debian's package, driven by playwright-core; never a
// downloaded browser) and checks that every chart rendered with report.json's numbers and nothing errored.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfigText, validateConfig } from '../src/config/load.ts';
import { defaultRegistry } from '../src/registry.ts';
import { renderReports } from '../src/report/render-reports.ts';
import { buildReport, type Report } from '../src/report/report.ts';
import { writeReportFiles } from '../src/report/write-reports.ts';
import { runMatrix } from '../src/run/run-matrix.ts';
import { sweepCharts } from '../src/sweep/chart-data.ts';
import { planSweep } from '../src/sweep/plan.ts';
import { renderSweepFiles } from '../src/sweep/render-sweep.ts';
import { runPoints } from '../src/sweep/run-points.ts';
import { buildSweep, type Sweep, sweepHeader } from '../src/sweep/sweep.ts';
import { entryValue, CHART_METRICS as SWEEP_CHART_METRICS } from '../src/sweep/sweep-metrics.ts';
import { silentProgress } from './fixtures/fake-report.ts';
import { TINY_SWEEP_YAML } from './fixtures/tiny-sweep.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../test-output/report.png', import.meta.url));
const SWEEP_SCREENSHOT = fileURLToPath(new URL('../test-output/sweep.png', import.meta.url));
const CHART_METRICS: Record<string, string[]> = {
  cyclesPerOp: ['cyclesPerOp'],
  ipis: ['ipis'],
  exposurePageNs: ['exposurePageNs', 'foreignExposurePageNs'],
};

// A real report: the shipped model, every backend, two workloads sized to run in about a second.
const REAL_CONFIG = `
seed: 7
machine: { cpus: 4 }
backends: [direct-map, vmap, memremap-strict, memremap-relaxed, mm-local, ephmap, restore]
workloads:
  kvmclock: { vms: 1, vcpusPerVm: 4, updates: 2000 }
  xen-evtchn: { vms: 1, vcpusPerVm: 4, events: 2000, otherProcesses: 2 }
`;

async function realReport(): Promise<Report> {
  const config = validateConfig(
    parseConfigText(REAL_CONFIG, 'yaml', 'real.yaml'),
    defaultRegistry,
    'real.yaml',
    {},
  );
  return buildReport(config, await runMatrix(config, defaultRegistry, silentProgress));
}

function metricOf(entry: Report['results'][number], metric: string): number | undefined {
  if (metric in entry.cost) return entry.cost[metric as keyof typeof entry.cost];
  if (metric in entry.safety) return entry.safety[metric as keyof typeof entry.safety];
  return undefined;
}

/** A new page that records console errors and warnings, page errors and every request it makes. */
async function watchedPage(browser: BrowserContext) {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { page, problems, requests };
}

describe('report.html in a real browser', () => {
  let browser: BrowserContext | undefined;
  let dir = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'khva-bench-browser-'));
    // A persistent context is how Playwright takes a fresh --user-data-dir of our choosing.
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart with the numbers of report.json, loads nothing else, and logs no error', async () => {
    const out = join(dir, 'report');
    await writeReportFiles(out, renderReports(await realReport()));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    const { page, problems, requests } = await watchedPage(browser as BrowserContext);
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({
        chart: f.getAttribute('data-chart'),
        workload: f.getAttribute('data-workload'),
        bars: [...f.querySelectorAll('rect.bar')].map((r) => {
          const box = r.getBoundingClientRect();
          return {
            metric: r.getAttribute('data-metric'),
            workload: r.getAttribute('data-workload'),
            backend: r.getAttribute('data-backend'),
            value: Number(r.getAttribute('data-value')),
            width: box.width,
            visible: getComputedStyle(r).visibility === 'visible' && getComputedStyle(r).display !== 'none',
          };
        }),
      })),
    );

    const workloads = Object.keys(report.config.workloads);
    expect(charts.map((c) => `${c.workload}/${c.chart}`)).toEqual(
      workloads.flatMap((w) => Object.keys(CHART_METRICS).map((chart) => `${w}/${chart}`)),
    );
    for (const chart of charts) {
      const entries = report.results.filter((r) => r.workload === chart.workload);
      const metrics = CHART_METRICS[chart.chart ?? ''] ?? [];
      const expected = entries.flatMap((e) =>
        metrics.map((metric) => ({
          metric,
          workload: e.workload,
          backend: e.backend,
          value: metricOf(e, metric),
        })),
      );
      expect(
        chart.bars.map(({ metric, workload, backend, value }) => ({ metric, workload, backend, value })),
      ).toEqual(expected);
      expect(chart.bars.every((b) => b.visible)).toBe(true);
      // Bars of a chart share one linear scale: the largest value gets a long bar, zero none, and a
      // larger value is never a shorter bar.
      const max = Math.max(...chart.bars.map((b) => b.value));
      for (const b of chart.bars) {
        if (b.value === max && max > 0) expect(b.width).toBeGreaterThan(100);
        if (b.value === 0) expect(b.width).toBe(0);
        for (const o of chart.bars) if (b.value > o.value) expect(b.width).toBeGreaterThanOrEqual(o.width);
      }
    }
    const tableRows = await page.$$eval('section.workload table tbody tr', (rows) => rows.length);
    expect(tableRows).toBe(workloads.length * 2 * report.config.backends.length);
    expect(await page.locator('td.best').count()).toBeGreaterThan(0);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it('sweep.html: every line chart draws each backend and every point of sweep.json, loads nothing else', async () => {
    const plan = planSweep(parseYaml(TINY_SWEEP_YAML), defaultRegistry, 'tiny.yaml');
    const results = await runPoints(plan.points, { jobs: 2, progress: silentProgress });
    const out = join(dir, 'sweep');
    await writeReportFiles(
      out,
      await renderSweepFiles(buildSweep(sweepHeader(plan, 'browser-test'), results)),
    );
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as Sweep;
    const { page, problems, requests } = await watchedPage(browser as BrowserContext);
    const url = pathToFileURL(join(out, 'sweep.html')).href;
    await page.goto(url, { waitUntil: 'load' });

    const figures = await page.$$eval('figure.sweep-chart', (list) =>
      list.map((f) => ({
        workload: f.getAttribute('data-workload'),
        metric: f.getAttribute('data-metric'),
        x: f.getAttribute('data-x'),
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
        lines: f.querySelectorAll('.mark-line.role-mark path').length,
        legend: [...f.querySelectorAll('.role-legend-label text')].map((t) => t.textContent),
        symbols: [...f.querySelectorAll('.mark-symbol.role-mark path')].map((p) => ({
          label: p.getAttribute('aria-label') ?? '',
          y: p.getBoundingClientRect().top,
        })),
      })),
    );
    // One chart per chart axis x workload x metric, in that order.
    const expected = sweepCharts(sweep, SWEEP_CHART_METRICS);
    expect(figures.map((f) => `${f.x}/${f.workload}/${f.metric}`)).toEqual(
      expected.map((c) => `${c.x}/${c.workload}/${c.metric}`),
    );
    for (const [i, f] of figures.entries()) {
      const chart = expected[i] as (typeof expected)[number];
      expect(f.width).toBeGreaterThan(300);
      expect(f.legend).toEqual([...chart.backends]);
      expect(f.lines).toBe(chart.backends.length);
      // Every (x, backend) of the sweep at the chart's fixed axes is a point, and higher values sit higher.
      const values = sweep.points
        .filter((p) =>
          Object.entries(chart.fix).every(([a, v]) => JSON.stringify(p.axes[a]) === JSON.stringify(v)),
        )
        .flatMap((p) =>
          (p.results ?? [])
            .filter((e) => e.workload === chart.workload)
            .map((e) => ({ x: p.axes[chart.x], backend: e.backend, value: entryValue(e, chart.metric) })),
        );
      expect(f.symbols).toHaveLength(values.length);
      for (const v of values) {
        expect(
          f.symbols.some((s) => s.label.includes(`: ${v.x};`) && s.label.endsWith(`backend: ${v.backend}`)),
        ).toBe(true);
      }
      const ys = chart.points.map((p, k) => ({ value: p.value, y: f.symbols[k]?.y ?? Number.NaN }));
      for (const a of ys)
        for (const b of ys) if (a.value > b.value) expect(a.y).toBeLessThanOrEqual(b.y + 0.5);
    }
    mkdirSync(join(SWEEP_SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SWEEP_SCREENSHOT, fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
  });
});
