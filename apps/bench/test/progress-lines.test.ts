// Progress on a pipe (CI logs): one line per finished run, and during a long run a line at a steady
// interval, so a log never goes quiet for minutes.
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/io.ts';
import { createProgress, PROGRESS_LINE_INTERVAL_MS } from '../src/progress.ts';

function pipeIo() {
  let clock = 0;
  let stderr = '';
  const io: CliIo = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    terminal: undefined,
    cwd: '/',
    now: () => clock,
  };
  return { io, advance: (ms: number) => (clock += ms), err: () => stderr };
}

describe('progress lines on a pipe', () => {
  it('prints a line every interval during a long run, and none in between', () => {
    const { io, advance, err } = pipeIo();
    const progress = createProgress(io, false);
    progress.start(2);
    // 60 s of one run, reported every second: a line every 5 s, none for the updates in between.
    for (let s = 1; s <= 60; s++) {
      advance(1000);
      progress.update(s / 61, 'kvmclock on vmap');
    }
    progress.runDone('kvmclock on vmap', 0);
    const lines = err().trimEnd().split('\n');
    expect(lines).toHaveLength(60_000 / PROGRESS_LINE_INTERVAL_MS + 1);
    expect(lines[0]).toBe('[1/2] kvmclock on vmap: 8% (5.0 s)');
    expect(lines.at(-2)).toBe('[1/2] kvmclock on vmap: 98% (60.0 s)');
    expect(lines.at(-1)).toBe('[1/2] kvmclock on vmap (60.0 s)');
  });

  it('a short run gets only its closing line; --quiet prints nothing', () => {
    const { io, advance, err } = pipeIo();
    const progress = createProgress(io, false);
    progress.start(1);
    advance(1000);
    progress.update(0.5, 'short');
    progress.runDone('short', 0);
    expect(err()).toBe('[1/1] short (1.0 s)\n');
    const quiet = pipeIo();
    const silent = createProgress(quiet.io, true);
    silent.start(1);
    quiet.advance(60_000);
    silent.update(0.5, 'x');
    silent.runDone('x', 0);
    expect(quiet.err()).toBe('');
  });
});
