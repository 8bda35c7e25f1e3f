// A config that cannot be used: every problem found, each naming where it is and what would be accepted.

export interface ConfigIssue {
  /** Where: `machine.cpus`, `backends[2]`, `workloads.kvmclock.vms`, `--backends`, or `(root)`. */
  readonly path: string;
  readonly message: string;
  /** Accepted values or field names, when there is a closed set. */
  readonly allowed?: readonly string[];
}

export function formatIssue(issue: ConfigIssue): string {
  const allowed = issue.allowed === undefined ? '' : ` (allowed: ${issue.allowed.join(', ') || 'none'})`;
  return `${issue.path}: ${issue.message}${allowed}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid config ${source}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.source = source;
    this.issues = issues;
  }
}
