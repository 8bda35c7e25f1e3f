// Issue 14, class 5: the three report files are replaced as one set. A failure or an interruption at the
// final step leaves the whole previous report, and no staging directory, behind.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { defaultRegistry } from '../src/registry.ts';
import { REPORT_STORE, writeReportFiles } from '../src/report/write-reports.ts';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const tempDir = useTempDirs();
const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));

const FILES = ['report.html', 'report.json', 'report.md'];
const set = (tag: string) => Object.fromEntries(FILES.map((f) => [f, `${f} of ${tag}`]));
const contents = (dir: string) => FILES.map((f) => readFileSync(join(dir, f), 'utf8'));
const generations = (dir: string) => readdirSync(join(dir, REPORT_STORE)).filter((e) => e !== 'current');

describe('writeReportFiles', () => {
  it('switches every file at once and keeps exactly one generation', async () => {
    const out = join(tempDir(), 'out');
    await writeReportFiles(out, set('one'));
    expect(contents(out)).toEqual(FILES.map((f) => `${f} of one`));
    await writeReportFiles(out, set('two'));
    expect(contents(out)).toEqual(FILES.map((f) => `${f} of two`));
    expect(generations(out)).toHaveLength(1);
  });

  it('turns plain report files of an older layout into the set without losing them on failure', async () => {
    const out = join(tempDir(), 'out');
    mkdirSync(out);
    for (const f of FILES) writeFileSync(join(out, f), `${f} of old`);
    const controller = new AbortController();
    await expect(
      writeReportFiles(out, set('new'), {
        signal: controller.signal,
        beforeSwitch: async () => controller.abort('SIGINT'),
      }),
    ).rejects.toThrow();
    expect(contents(out)).toEqual(FILES.map((f) => `${f} of old`));
    await writeReportFiles(out, set('new'));
    expect(contents(out)).toEqual(FILES.map((f) => `${f} of new`));
  });

  it('aborted at the final step: the previous set stays whole, the new generation is removed', async () => {
    const out = join(tempDir(), 'out');
    await writeReportFiles(out, set('old'));
    const before = readdirSync(join(out, REPORT_STORE)).sort();
    const controller = new AbortController();
    let seenNew = false;
    await expect(
      writeReportFiles(out, set('new'), {
        signal: controller.signal,
        beforeSwitch: async () => {
          // At the final step the new files exist, but no reader can see them yet.
          seenNew = generations(out).length === 2;
          expect(contents(out)).toEqual(FILES.map((f) => `${f} of old`));
          controller.abort('SIGTERM');
        },
      }),
    ).rejects.toThrow();
    expect(seenNew).toBe(true);
    expect(contents(out)).toEqual(FILES.map((f) => `${f} of old`));
    expect(readdirSync(join(out, REPORT_STORE)).sort()).toEqual(before);
  });

  it('a first report interrupted at the final step leaves nothing at all', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    mkdirSync(out);
    const controller = new AbortController();
    await expect(
      writeReportFiles(out, set('new'), {
        signal: controller.signal,
        beforeSwitch: async () => controller.abort(),
      }),
    ).rejects.toThrow();
    expect(readdirSync(out)).toEqual([]);
  });

  it('stages inside the output directory, never beside it (its parent may be read-only)', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    mkdirSync(out);
    writeFileSync(join(root, 'other'), 'x');
    let parentDuringWrite: string[] = [];
    await writeReportFiles(out, set('one'), {
      beforeSwitch: async () => {
        parentDuringWrite = readdirSync(root).sort();
      },
    });
    expect(parentDuringWrite).toEqual(['other', 'out']);
    expect(readdirSync(root).sort()).toEqual(['other', 'out']);
  });

  it('a report file that cannot be replaced (a directory in its place) fails before anything changes', async () => {
    const out = join(tempDir(), 'out');
    await writeReportFiles(out, set('old'));
    const store = readdirSync(join(out, REPORT_STORE)).sort();
    // Someone replaced report.html by a directory: it cannot be replaced by a file.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toBe('report.html of old');
    writeFileSync(join(out, 'report.json.keep'), readFileSync(join(out, 'report.json')));
    const { rmSync } = await import('node:fs');
    rmSync(join(out, 'report.html'));
    mkdirSync(join(out, 'report.html'));
    writeFileSync(join(out, 'report.html', 'index'), 'in the way');
    await expect(writeReportFiles(out, set('new'))).rejects.toThrow(/report\.html is a directory/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('report.json of old');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toBe('report.md of old');
    expect(readdirSync(join(out, REPORT_STORE)).sort()).toEqual(store);
  });
});

const TINY = (seed: number) =>
  `seed: ${seed}\nmachine: { cpus: 2 }\nbackends: [direct-map]\nworkloads: { kvmclock: { vms: 1, vcpusPerVm: 1, updates: 20 } }\n`;

/** The seed recorded in a report.json. */
const seedOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { config: { seed: number } }).config.seed;

describe('khva-bench run interrupted at the final step (spawned, a signal while paused before the switch)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: exit 128+n, the previous report whole, no staging left',
    async (sig) => {
      const cwd = tempDir();
      writeFileSync(join(cwd, 'c.yaml'), TINY(7));
      const first = memoryIo(cwd);
      expect(
        await main(['run', '--config', 'c.yaml', '--out', 'out', '--quiet'], defaultRegistry, first),
      ).toBe(0);
      const old = contents(join(cwd, 'out'));
      const oldStore = readdirSync(join(cwd, 'out', REPORT_STORE)).sort();

      writeFileSync(join(cwd, 'c.yaml'), TINY(8));
      const child = spawn(process.execPath, [bin, 'run', '--config', 'c.yaml', '--out', 'out', '--quiet'], {
        cwd,
        env: { ...process.env, KHVA_BENCH_TEST_PAUSE_BEFORE_SWITCH: '30000' },
      });
      let stderr = '';
      let sent = false;
      const code = await new Promise<number | null>((done) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (!sent && stderr.includes('paused before the report switch')) sent = child.kill(sig);
        });
        child.on('close', (c) => done(c));
      });
      expect(code, stderr).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(stderr).toContain(`interrupted (${sig}) before the report was switched`);
      expectCleanFailure(stderr.replace(/^khva-bench: test hook.*\n/m, ''));
      expect(contents(join(cwd, 'out'))).toEqual(old);
      expect(seedOf(join(cwd, 'out'))).toBe(7);
      expect(readdirSync(join(cwd, 'out', REPORT_STORE)).sort()).toEqual(oldStore);
      expect(readdirSync(cwd).sort()).toEqual(['c.yaml', 'out']);
    },
  );

  it('a report file that cannot be replaced: exit 2 before running, the previous report whole', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'c.yaml'), TINY(7));
    expect(
      await main(['run', '--config', 'c.yaml', '--out', 'out', '--quiet'], defaultRegistry, memoryIo(cwd)),
    ).toBe(0);
    const { rmSync } = await import('node:fs');
    rmSync(join(cwd, 'out', 'report.md'));
    mkdirSync(join(cwd, 'out', 'report.md'));
    writeFileSync(join(cwd, 'c.yaml'), TINY(8));
    const io = memoryIo(cwd);
    expect(await main(['run', '--config', 'c.yaml', '--out', 'out', '--quiet'], defaultRegistry, io)).toBe(2);
    expectCleanFailure(io.err());
    expect(seedOf(join(cwd, 'out'))).toBe(7);
    expect(readFileSync(join(cwd, 'out', 'report.html'), 'utf8')).toContain('7');
  });
});
