// Config fields named by dotted paths (`workloads.kvmclock.vms`): checked against the bench config's zod
// schema before anything runs, and set on a raw config document per sweep point.
import { z } from 'zod';
import type { ConfigIssue } from '../config/config-error.ts';

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodPrefault ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodReadonly ||
    current instanceof z.ZodPipe
  ) {
    current = current instanceof z.ZodPipe ? current.in : current.unwrap();
  }
  return current;
}

export function splitPath(path: string): string[] {
  return path.split('.');
}

/** The problem with `path` in `schema` (naming the first segment that does not exist), or undefined. */
export function pathIssue(schema: z.core.$ZodType, path: string, where: string): ConfigIssue | undefined {
  const segments = splitPath(path);
  let current = unwrap(schema);
  for (const [i, segment] of segments.entries()) {
    const prefix = segments.slice(0, i).join('.');
    if (current instanceof z.ZodObject) {
      const next = current.shape[segment];
      if (next !== undefined) {
        current = unwrap(next);
        continue;
      }
      // A loose object (backend options) accepts any key; the point's validation checks the value.
      if (current._zod.def.catchall !== undefined && !(current._zod.def.catchall instanceof z.ZodNever))
        return;
      const allowed = Object.keys(current.shape).filter((k) => k !== '$schema');
      return {
        path: where,
        message: `"${path}" names no config field: ${prefix === '' ? 'the config' : `"${prefix}"`} has no field "${segment}"`,
        allowed,
      };
    }
    if (current instanceof z.ZodRecord) {
      current = unwrap(current.valueType);
      continue;
    }
    if (current instanceof z.ZodArray && /^\d+$/.test(segment)) {
      current = unwrap(current.element);
      continue;
    }
    return { path: where, message: `"${path}" names no config field: "${prefix}" has no fields` };
  }
  return undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets `path` in `doc` (modified in place), creating the mappings on the way. */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const segments = splitPath(path);
  let current = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = current[segment];
    if (isMapping(next)) current = next;
    else {
      const made: Record<string, unknown> = {};
      current[segment] = made;
      current = made;
    }
  }
  current[segments[segments.length - 1] ?? ''] = value;
}
