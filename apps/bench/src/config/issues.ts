// Turns zod's issues into ConfigIssues that name the field and, where the set is closed, the allowed values.
import { z } from 'zod';
import { formatPath } from '../input/key-path.ts';
import type { ConfigIssue } from './config-error.ts';

type Path = readonly PropertyKey[];

/** The schema found by following `path` from `schema`, looking through optional/default wrappers. */
function schemaAt(schema: z.core.$ZodType, path: Path): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = schema;
  let i = 0;
  while (current !== undefined) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly
    ) {
      current = current.unwrap();
      continue;
    }
    if (i === path.length) return current;
    const segment = path[i++];
    if (current instanceof z.ZodObject && typeof segment === 'string') current = current.shape[segment];
    else if (current instanceof z.ZodArray) current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else return undefined;
  }
  return undefined;
}

function fieldsAt(schema: z.core.$ZodType, path: Path): string[] | undefined {
  const found = schemaAt(schema, path);
  return found instanceof z.ZodObject ? Object.keys(found.shape).filter((k) => k !== '$schema') : undefined;
}

/** What an unknown key is called where it was found. */
function unknownKind(path: Path): string {
  if (path.length === 1 && path[0] === 'workloads') return 'unknown workload';
  if (path.length === 1 && path[0] === 'calibration') return 'unknown calibration row';
  if (path.length === 1 && path[0] === 'backendOptions') return 'unknown backend';
  return 'unknown field';
}

export function toConfigIssues(error: z.ZodError, schema: z.core.$ZodType): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = fieldsAt(schema, issue.path);
        for (const key of issue.keys) {
          const path = formatPath([...issue.path, key]);
          const message = unknownKind(issue.path);
          issues.push(allowed === undefined ? { path, message } : { path, message, allowed });
        }
        break;
      }
      case 'invalid_value':
        issues.push({
          path: formatPath(issue.path),
          message: issue.message,
          allowed: issue.values.map((v) => String(v)),
        });
        break;
      case 'invalid_type': {
        // Parsed with `reportInput`, so a missing field shows as an undefined input.
        const message = issue.input === undefined ? `required (${issue.expected})` : issue.message;
        const path = formatPath(issue.path);
        issues.push(
          issue.expected === 'boolean' ? { path, message, allowed: ['true', 'false'] } : { path, message },
        );
        break;
      }
      default:
        issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}
