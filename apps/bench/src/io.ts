// What the CLI touches of the outside world, injected so tests can run `main` in-process.

export interface TextSink {
  write(text: string): unknown;
}

/** SIGINT/SIGTERM while a command is in a step it can stop cleanly (writing reports, exploring). */
export interface InterruptWatch {
  /** Aborted with the signal's name (`SIGINT`, `SIGTERM`) as its reason. */
  readonly signal: AbortSignal;
  /** Stops watching: the signals' default action (ending the process) applies again. */
  stop(): void;
}

export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** stderr when it is a terminal (the progress bar draws there); undefined when it is a pipe or a file. */
  readonly terminal: NodeJS.WritableStream | undefined;
  /** Relative paths on the command line resolve against this directory. */
  readonly cwd: string;
  /** Wall clock in milliseconds, used only for what the terminal shows, never in a report. */
  now(): number;
  /** Starts watching for SIGINT/SIGTERM; absent: the command cannot be interrupted cleanly (tests). */
  watchInterrupts?(): InterruptWatch;
  /**
   * Test hook awaited just before the report switch, so a test can interrupt the final step
   * (set by `KHVA_BENCH_TEST_PAUSE_BEFORE_SWITCH=<ms>`; absent in normal use).
   */
  beforeReportSwitch?(signal: AbortSignal): Promise<void>;
}

/** Exit status of a process ended by `signal`, as shells report it (128 + the signal's number). */
export function interruptedExitCode(reason: unknown): number {
  return reason === 'SIGTERM' ? 143 : 130;
}

function watchProcessInterrupts(): InterruptWatch {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => controller.abort(name);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    stop() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The test hook of `beforeReportSwitch`: announce the pause on stderr, then wait `ms` or until interrupted. */
function pauseHook(ms: number): (signal: AbortSignal) => Promise<void> {
  return (signal) =>
    new Promise<void>((done) => {
      process.stderr.write('khva-bench: test hook: paused before the report switch\n');
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        done();
      });
    });
}

export function processIo(): CliIo {
  const pause = Number(process.env.KHVA_BENCH_TEST_PAUSE_BEFORE_SWITCH ?? '');
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    terminal: process.stderr.isTTY ? process.stderr : undefined,
    cwd: process.cwd(),
    now: () => performance.now(),
    watchInterrupts: watchProcessInterrupts,
    ...(Number.isFinite(pause) && pause > 0 ? { beforeReportSwitch: pauseHook(pause) } : {}),
  };
}
