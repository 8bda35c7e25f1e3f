// `khva-bench explore` as a user runs it: the real bin, spawned, against the built dist.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
    expect(r.stderr).toBe('');
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
});
