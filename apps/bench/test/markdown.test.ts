import { defaultKernelOptions } from '@khva/kvm';
import { describe, expect, it } from 'vitest';
import type { BenchConfig } from '../src/config/bench-config.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { buildReport } from '../src/report/report.ts';
import type { MatrixRun } from '../src/run/run-matrix.ts';
import type { CostMetrics, SafetyMetrics } from '../src/workload.ts';

const zeroCost: CostMetrics = {
  cycles: 0,
  cyclesPerOp: 0,
  mapCalls: 0,
  unmapCalls: 0,
  mapFailures: 0,
  wouldBlock: 0,
  tlbFlushesLocal: 0,
  tlbFlushesGlobal: 0,
  ipis: 0,
  vaBytesPeak: 0,
  pageTablePages: 0,
  directMapSplits: 0,
};
const zeroSafety: SafetyMetrics = {
  oopses: 0,
  faults: 0,
  exposurePageNs: 0,
  foreignExposurePageNs: 0,
  staleTranslationNs: 0,
  useAfterFreeWindows: 0,
  useAfterFreeAccesses: 0,
};

const config: BenchConfig = {
  seed: 1,
  machine: { cpus: 2, tlbEntries: 64, ghz: 3, memGiB: 4 },
  backends: ['a', 'b', 'c'],
  workloads: { w: { n: 1 } },
  kernel: defaultKernelOptions,
  calibration: {},
  backendOptions: {},
};

function run(backend: string, cost: Partial<CostMetrics>, safety: Partial<SafetyMetrics>): MatrixRun {
  return {
    workload: 'w',
    backend,
    result: { ops: 10, cost: { ...zeroCost, ...cost }, safety: { ...zeroSafety, ...safety } },
  };
}

/** The cells of the table row of `backend` under the heading `section`. */
function row(markdown: string, section: string, backend: string): string[] {
  const part = markdown.split(`### ${section}`)[1] ?? '';
  const line = part.split('\n').find((l) => l.startsWith(`| ${backend} |`)) ?? '';
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

describe('report.md', () => {
  const md = renderMarkdown(
    buildReport(config, [
      run('a', { cyclesPerOp: 120.5, ipis: 4 }, { oopses: 3, exposurePageNs: 2_500_000 }),
      run('b', { cyclesPerOp: 80, ipis: 4 }, { oopses: 0, exposurePageNs: 1_000 }),
      run('c', { cyclesPerOp: 95, ipis: 9 }, { oopses: 0, exposurePageNs: 7_000 }),
    ]),
  );

  it('bolds the lowest value of each column, all ties, and nothing when all rows are equal', () => {
    const header = row(md, 'Cost', 'backend');
    const col = (name: string) => header.indexOf(name);
    expect(row(md, 'Cost', 'b')[col('cycles/op')]).toBe('**80**');
    expect(row(md, 'Cost', 'a')[col('cycles/op')]).toBe('120.5');
    expect(row(md, 'Cost', 'a')[col('IPIs')]).toBe('**4**');
    expect(row(md, 'Cost', 'b')[col('IPIs')]).toBe('**4**');
    expect(row(md, 'Cost', 'c')[col('IPIs')]).toBe('9');
    expect(row(md, 'Cost', 'a')[col('maps')]).toBe('0');
    const safety = row(md, 'Safety', 'backend');
    expect(row(md, 'Safety', 'a')[safety.indexOf('oopses')]).toBe('3');
    expect(row(md, 'Safety', 'c')[safety.indexOf('oopses')]).toBe('**0**');
    expect(row(md, 'Safety', 'a')[safety.indexOf('exposure page·ns')]).toBe('2.5 M');
    expect(row(md, 'Safety', 'b')[safety.indexOf('exposure page·ns')]).toBe('**1,000**');
  });

  it('has one table per group with backends as rows, says lower is better, and explains each column', () => {
    expect(md).toContain('## w');
    expect(md).toContain('Parameters: `n=1`');
    expect(md).toMatch(/lower is better in every\s+column/i);
    expect(md).toContain(
      '- **IPIs** (`cost.ipis`): inter-processor interrupts sent: TLB shootdowns and vCPU kicks.',
    );
    expect(row(md, 'Cost', 'backend')).toEqual([
      'backend',
      'ops',
      'cycles',
      'cycles/op',
      'maps',
      'unmaps',
      'map fails',
      'would block',
      'local flushes',
      'global flushes',
      'IPIs',
      'VA bytes peak',
      'PT pages',
      'DM splits',
    ]);
    expect(['a', 'b', 'c'].map((b) => row(md, 'Safety', b)[0])).toEqual(['a', 'b', 'c']);
  });
});
