import { describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.ts';
import { fakeReport } from './fixtures/fake-report.ts';

describe('report.html (markup)', () => {
  it('is self-contained: no scripts, no external resources, a CSP that forbids loading any', async () => {
    const html = renderHtml(await fakeReport());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|href="(?!#)/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('has, per workload, the three charts with one bar per backend carrying the exact values', async () => {
    const report = await fakeReport();
    const html = renderHtml(report);
    const bars = [...html.matchAll(/<rect class="bar[^"]*"[^>]*>/g)].map((m) => {
      const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[0])?.[1];
      return `${attr('data-workload')}|${attr('data-backend')}|${attr('data-metric')}|${attr('data-value')}`;
    });
    const expected = ['fake-churn', 'fake-clock'].flatMap((workload) =>
      ['cyclesPerOp', 'ipis', 'exposurePageNs+foreignExposurePageNs'].flatMap((chart) =>
        report.results
          .filter((r) => r.workload === workload)
          .flatMap((r) =>
            chart.split('+').map((metric) => {
              const value =
                metric === 'ipis' || metric === 'cyclesPerOp'
                  ? r.cost[metric]
                  : r.safety[metric as 'exposurePageNs'];
              return `${workload}|${r.backend}|${metric}|${value}`;
            }),
          ),
      ),
    );
    expect(bars).toEqual(expected);
    expect(html).toContain('How to read this report');
  });
});
