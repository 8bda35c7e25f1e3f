// Paths of keys in a parsed document, written the way messages name fields: `machine.cpus`, `steps[3].op`.

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `machine.cpus`, `backends[2]`, `workloads["odd key"]`; the empty path is `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment))
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Keys no input may use: in JavaScript they reach an object's prototype, so `{ "__proto__": ... }` would
 * be dropped or change what every later lookup sees instead of being refused like any unknown key.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
