// A config that cannot be used: every problem found, each naming where it is and what would be accepted.
import { InputError, type InputIssue } from '../input/input-error.ts';

export { formatIssue } from '../input/input-error.ts';

/** Where (`machine.cpus`, `backends[2]`, `workloads.kvmclock.vms`, `(syntax)`, `(root)`) and what is wrong. */
export type ConfigIssue = InputIssue;

export class ConfigError extends InputError {
  override readonly name = 'ConfigError';
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super('config', source, issues);
  }
}
