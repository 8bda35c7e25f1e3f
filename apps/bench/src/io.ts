// What the CLI touches of the outside world, injected so tests can run `main` in-process.

export interface TextSink {
  write(text: string): unknown;
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
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    terminal: process.stderr.isTTY ? process.stderr : undefined,
    cwd: process.cwd(),
    now: () => performance.now(),
  };
}
