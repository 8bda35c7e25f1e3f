import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  packageDir,
  readExample,
  readme,
  runExample,
} from '../../../scripts/test-support/readme-example.ts';

const pkg = packageDir(import.meta.url);
const EXAMPLE = 'no-direct-map.mjs';

describe('examples/no-direct-map.mjs (against the built dist)', () => {
  beforeAll(() => ensureBuilt(pkg), 120_000);

  it('runs with node and shows the direct map no longer covering the memslot’s pages', () => {
    const out = runExample(pkg, EXAMPLE);
    const lines = out.trim().split('\n');
    const before = lines.filter((l) => l.startsWith('before'));
    const after = lines.filter((l) => l.startsWith('after'));
    expect(before).toHaveLength(4);
    expect(after).toHaveLength(4);
    for (const l of before) expect(l).toMatch(/direct map present read ok$/);
    for (const l of after) expect(l).toMatch(/direct map absent\s+read oops$/);
    expect(out).toContain('direct-map pages absent: 4, leaf splits: 2');
    expect(out).toContain('kernel TLB flushes: 4, IPIs: 12, oopses: 4');
  });

  it('is shown verbatim in the README, with the output it prints', () => {
    const text = readme(pkg);
    expect(text).toContain(`\`\`\`js\n${readExample(pkg, EXAMPLE)}\`\`\``);
    expect(text).toContain(`\`\`\`text\n${runExample(pkg, EXAMPLE).trimEnd()}\n\`\`\``);
  });
});
