// `khva-bench explore` as a user runs it: the real bin, spawned, against the built dist.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './fixtures/temp-dir.ts';

const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));
const scenario = (path: string) => fileURLToPath(new URL(`../../../packages/${path}`, import.meta.url));
const tempDir = useTempDirs();

function khvaBench(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('khva-bench explore', () => {
  it('explores a race exhaustively and reports no broken invariant on the real gpc', () => {
    const r = khvaBench(['explore', scenario('explorer/scenarios/refresh-vs-invalidation.yaml')]);
    // Nothing but progress lines (a search that takes over a second on a busy machine prints one).
    expect(r.stderr).toMatch(
      /^(khva-bench: exploring: \d+ schedules explored, 0 violating so far [^\n]*\n)*$/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/on vmap: \d+ schedules explored, \d+ pruned, \d+ ms \(all schedules\)/);
    expect(r.stdout).toContain('no invariant broken');
  });

  it('writes the shortest counterexample, which `scenario` replays to the same violation', () => {
    const out = tempDir();
    const r = khvaBench([
      'explore',
      scenario('pfncache/scenarios/r06-hva-cache-outside-memslots.yaml'),
      '--out',
      out,
      '--html',
      join(out, 'cx.html'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('counterexample: valid-pfn-is-current');
    expect(r.stdout).toContain(`timeline: ${join(out, 'cx.html')}`);
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'cx.html',
      'r06-hva-cache-outside-memslots.vmap.counterexample.txt',
      'r06-hva-cache-outside-memslots.vmap.counterexample.yaml',
    ]);
    const replay = khvaBench(['scenario', join(out, files[2] ?? ''), '--html', join(out, 'replay.html')]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/expected violations \[\], got \["valid-pfn-is-current"\]/);
    // Both pages show the counterexample's last step breaking the invariant the explorer found.
    const cx = readFileSync(join(out, 'cx.html'), 'utf8');
    expect(readFileSync(join(out, 'replay.html'), 'utf8')).toBe(cx);
    const last = cx.match(/<tr data-step="(\d+)"/g)?.length ?? 0;
    expect(last).toBeGreaterThan(0);
    expect(cx).toContain(`<tr data-step="${last}" class="break" data-break="true">`);
    expect(cx).toContain('data-break-name="valid-pfn-is-current"');
  });

  it('refuses an unknown backend and a bad budget with exit 2', () => {
    const file = scenario('explorer/scenarios/refresh-vs-invalidation.yaml');
    const bad = khvaBench(['explore', file, '--backend', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown backend "nope"');
    expect(khvaBench(['explore', file, '--max-schedules', '0']).code).toBe(2);
  });

  it('stops promptly on SIGINT during a huge budget, says how far it got, writes nothing, exits 130', async () => {
    // Four vCPUs, five ops each, no reduction: about 10^10 schedules, far more than this test waits for.
    const cwd = tempDir();
    const vcpus = [0, 1, 2, 3];
    const steps = [
      ...vcpus.map(
        (i) => `  - { thread: v${i}, op: activate, cache: c${i}, gpa: ${0x100000 + i * 0x1000}, len: 8 }`,
      ),
      ...[1, 2, 3, 4].flatMap(() =>
        vcpus.map((i) => `  - { thread: v${i}, op: write, cache: c${i}, offset: 0, bytes: 8 }`),
      ),
    ];
    writeFileSync(
      join(cwd, 'big.yaml'),
      `machine: { cpus: 4 }\nbackend: vmap\nvms:\n  - name: vm0\n    memslots:\n      - { slot: 1, gfn: 0x100, pages: 16, backing: anon, hva: 0x7f0000000000 }\nthreads:\n${vcpus.map((i) => `  - { name: v${i}, kind: vcpu, vm: vm0, cpu: ${i} }`).join('\n')}\nsteps:\n${steps.join('\n')}\n`,
    );
    const child = spawn(
      process.execPath,
      [bin, 'explore', 'big.yaml', '--no-reduction', '--max-schedules', '1000000000', '--out', 'cx'],
      { cwd },
    );
    let stdout = '';
    let stderr = '';
    let signalledAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The first progress line: the search is running (and the handler installed).
        if (signalledAt === 0 && stderr.includes('khva-bench: exploring: ')) {
          signalledAt = performance.now();
          child.kill('SIGINT');
        }
      });
      child.on('exit', (status) => done(status));
    });
    const stoppedWithin = performance.now() - signalledAt;
    expect(signalledAt, stderr).toBeGreaterThan(0);
    expect(stderr).toMatch(
      /khva-bench: exploring: \d+ schedules explored, 0 violating so far \(\d+\.\d s; Ctrl-C stops\)\n/,
    );
    expect(code, stderr).toBe(130);
    // A search of hours stopped between two schedules: well within seconds, not at the end of the budget.
    expect(stoppedWithin).toBeLessThan(5000);
    const [, explored] =
      /interrupted \(SIGINT\) after (\d+) schedules explored: no invariant broken so far; nothing written\n$/.exec(
        stderr,
      ) ?? [];
    expect(Number(explored), stderr).toBeGreaterThan(0);
    expect(stdout).toBe(
      `big.yaml on vmap: ${explored} schedules explored, 0 pruned, ${/, (\d+) ms \(interrupted\)/.exec(stdout)?.[1]} ms (interrupted)\n`,
    );
    expect(readdirSync(cwd)).toEqual(['big.yaml']);
  });
});
