/** Base class of every error the model raises on bad arguments (never on modelled failures). */
export class KhvaError extends Error {
  override readonly name: string = 'KhvaError';
}

/** A modelled resource ran out (e.g. vmalloc space): a real kernel failure, reported as such. */
export class ExhaustedError extends KhvaError {
  override readonly name = 'ExhaustedError';
  constructor(
    readonly resource: string,
    message: string,
  ) {
    super(message);
  }
}

/** The caller broke a modelled API contract (bad address, double unmap, unknown row...). */
export class ModelUsageError extends KhvaError {
  override readonly name = 'ModelUsageError';
}
