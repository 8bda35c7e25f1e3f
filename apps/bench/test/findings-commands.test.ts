// FINDINGS.md is checked, not trusted: every `khva-bench` command it cites runs here (in-process,
// with the shipped registry) and must end with the exit code and the line the file states.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { defaultRegistry } from '../src/registry.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tempDir = useTempDirs();

interface Cited {
  readonly argv: string[];
  readonly exit: number;
  readonly line: string;
}

/** `khva-bench ARGS` lines of the sh blocks, each followed by `# exit N: LINE`. */
function citedCommands(markdown: string): Cited[] {
  const out: Cited[] = [];
  const lines = markdown.split('\n');
  lines.forEach((l, i) => {
    if (!l.startsWith('khva-bench ')) return;
    const m = /^# exit (\d+): (.+)$/.exec(lines[i + 1] ?? '');
    if (!m) throw new Error(`FINDINGS.md line ${i + 1}: a command without "# exit N: outcome" after it`);
    out.push({ argv: l.slice('khva-bench '.length).split(/\s+/), exit: Number(m[1]), line: m[2]! });
  });
  return out;
}

const cited = citedCommands(readFileSync(`${root}FINDINGS.md`, 'utf8'));

describe('FINDINGS.md', () => {
  it('cites a finding and its fix for each of the four findings', () => {
    expect(cited.filter((c) => c.exit === 1).length).toBeGreaterThanOrEqual(4);
    expect(cited.filter((c) => c.exit === 0).length).toBeGreaterThanOrEqual(4);
  });

  for (const c of cited) {
    it(`khva-bench ${c.argv.join(' ')} exits ${c.exit} with "${c.line}"`, async () => {
      // --out goes to a temporary directory; scenario paths stay relative to the repository root.
      const argv = c.argv.map((a, i) => (c.argv[i - 1] === '--out' ? tempDir() : a));
      const io = memoryIo(root);
      const code = await main(argv, defaultRegistry, io);
      expect(io.err()).toBe('');
      expect(code).toBe(c.exit);
      expect(io.out()).toContain(c.line);
    });
  }
});
