// A file the CLI cannot use: every problem found, each naming where it is and what would be accepted.
// Config, scenario and any later option file (sweeps) report through this one type.
import { INPUT_LIMITS } from './limits.ts';

export interface InputIssue {
  /** Where: `machine.cpus`, `backends[2]`, `(syntax)`, `(file)`, `(root)`, `--backends`. */
  readonly path: string;
  readonly message: string;
  /** Accepted values or field names, when there is a closed set. */
  readonly allowed?: readonly string[];
}

/** Closed sets longer than this are shown as their first entries and a count. */
const ALLOWED_SHOWN = 40;

export function formatIssue(issue: InputIssue): string {
  let allowed = '';
  if (issue.allowed !== undefined) {
    const shown = issue.allowed.slice(0, ALLOWED_SHOWN).join(', ') || 'none';
    const more = issue.allowed.length - ALLOWED_SHOWN;
    allowed = ` (allowed: ${shown}${more > 0 ? `, and ${more} more` : ''})`;
  }
  return `${issue.path}: ${issue.message}${allowed}`;
}

/**
 * The text of an error about `source`: one line for one problem, otherwise a header and one indented line
 * per problem, the first few only (a file with 88,000 unknown keys gets ten lines and a count).
 */
export function formatInputError(kind: string, source: string, issues: readonly InputIssue[]): string {
  const [first] = issues;
  if (issues.length === 1 && first !== undefined) return `invalid ${kind} ${source}: ${formatIssue(first)}`;
  const shown = issues.slice(0, INPUT_LIMITS.issuesShown).map((i) => `  ${formatIssue(i)}`);
  const more = issues.length - shown.length;
  if (more > 0) shown.push(`  ... and ${more} more problems`);
  return `invalid ${kind} ${source}:\n${shown.join('\n')}`;
}

export class InputError extends Error {
  override readonly name: string = 'InputError';
  constructor(
    /** What the file is: `config`, `scenario`, `sweep`. */
    readonly kind: string,
    /** The file as the user named it. */
    readonly source: string,
    readonly issues: readonly InputIssue[],
  ) {
    super(formatInputError(kind, source, issues));
  }
}
