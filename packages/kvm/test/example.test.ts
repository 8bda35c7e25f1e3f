import { expect } from 'vitest';
import { describeExampleShownVerbatim } from '../../../scripts/test-support/readme-example.ts';

describeExampleShownVerbatim(
  import.meta.url,
  'no-direct-map.mjs',
  'runs with node and shows the direct map no longer covering the memslot’s pages',
  (out) => {
    const lines = out.trim().split('\n');
    const before = lines.filter((l) => l.startsWith('before'));
    const after = lines.filter((l) => l.startsWith('after'));
    expect(before).toHaveLength(4);
    expect(after).toHaveLength(4);
    for (const l of before) expect(l).toMatch(/direct map present read ok$/);
    for (const l of after) expect(l).toMatch(/direct map absent\s+read oops$/);
    expect(out).toContain('direct-map pages absent: 4, leaf splits: 2');
    expect(out).toContain('kernel TLB flushes: 4, IPIs: 12, oopses: 4');
  },
);
