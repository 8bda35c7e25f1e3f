import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const example = here('../examples/no-direct-map.mjs');
const dist = here('../dist/index.js');

describe('examples/no-direct-map.mjs (against the built dist)', () => {
  it('runs with node and shows the direct map no longer covering the memslot’s pages', () => {
    if (!existsSync(dist)) {
      throw new Error(
        'packages/kvm/dist is missing: build first (npx -y pnpm@10.34.9 exec tsc -b packages/kvm)',
      );
    }
    const out = execFileSync(process.execPath, [example], { encoding: 'utf8' });
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
    const readme = readFileSync(here('../README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
    if (existsSync(dist)) {
      const out = execFileSync(process.execPath, [example], { encoding: 'utf8' });
      expect(readme).toContain(`\`\`\`text\n${out.trimEnd()}\n\`\`\``);
    }
  });
});
