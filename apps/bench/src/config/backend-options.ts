// `backendOptions`: per-backend factory options, checked at config-load time by creating each backend once,
// with those options, on a small machine. The factory is the only judge of what it accepts; its TypeError
// becomes a config issue at the option it names.
import type { BackendRegistry } from '@khva/backend-api';
import { Machine, ModelUsageError } from '@khva/memory-core';

export interface BackendOptionIssue {
  /** Relative to `backendOptions.<backend>`: `[option]`, or `[]` when no single option is at fault. */
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * Creates the backend once with `options` on a small machine. Factories reject options with a TypeError
 * naming the option (some check a value's range with a RangeError or the model's ModelUsageError); each
 * becomes a TypeError for the config layer. Anything else is a bug and propagates.
 */
function checkBackendOptions(
  backends: BackendRegistry,
  name: string,
  options: Readonly<Record<string, unknown>>,
): void {
  try {
    backends.create(name, new Machine({ cpus: 2 }), { ...options });
  } catch (error) {
    if (error instanceof TypeError) throw error;
    if (error instanceof RangeError || error instanceof ModelUsageError) throw new TypeError(error.message);
    throw error;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `memremap-strict: unknown option "x"; ...` -> `unknown option "x"; ...` (also `vmap.opt: ...` -> `...`). */
function withoutPrefix(message: string, backend: string, option?: string): string {
  const at = option === undefined ? '' : `(?:\\.${escapeRegExp(option)})?`;
  return message.replace(new RegExp(`^${escapeRegExp(backend)}${at}: `), '');
}

/**
 * What is wrong with `options` for `backend`, one issue per option the factory refuses on its own; when
 * only the combination is refused, one issue for the whole object. Empty when the factory accepts them.
 */
export function backendOptionIssues(
  backends: BackendRegistry,
  backend: string,
  options: Readonly<Record<string, unknown>>,
): BackendOptionIssue[] {
  const check = (name: string, opts: Readonly<Record<string, unknown>>) =>
    checkBackendOptions(backends, name, opts);
  const refusal = (opts: Readonly<Record<string, unknown>>): string | undefined => {
    try {
      check(backend, opts);
      return undefined;
    } catch (error) {
      if (error instanceof TypeError) return error.message;
      throw error;
    }
  };
  const whole = refusal(options);
  if (whole === undefined) return [];
  const issues: BackendOptionIssue[] = [];
  for (const [option, value] of Object.entries(options)) {
    const message = refusal({ [option]: value });
    if (message !== undefined)
      issues.push({ path: [option], message: withoutPrefix(message, backend, option) });
  }
  return issues.length > 0 ? issues : [{ path: [], message: withoutPrefix(whole, backend) }];
}
