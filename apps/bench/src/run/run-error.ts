// A run that could not produce a truthful result: a workload threw or reported impossible numbers.

export class RunError extends Error {
  override readonly name = 'RunError';
  readonly workload: string;
  readonly backend: string;

  constructor(workload: string, backend: string, reason: string, options?: { cause: unknown }) {
    super(`workload "${workload}" on backend "${backend}": ${reason}`, options);
    this.workload = workload;
    this.backend = backend;
  }
}
