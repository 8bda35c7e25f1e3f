import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Scenario, scenarioSchema } from './schema.ts';

/** A scenario file that cannot be run: every problem, each with its path in the file. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`${file}: invalid scenario\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'invalid_value')
    return `${path}: ${issue.message} (allowed: ${issue.values.join(', ')})`;
  if (issue.code === 'unrecognized_keys') return `${path}: unknown field(s) ${issue.keys.join(', ')}`;
  return `${path}: ${issue.message}`;
}

/** Parse and validate scenario text (YAML or JSON). Cross-references are checked too. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ScenarioError(file, [`not valid YAML/JSON: ${(e as Error).message}`]);
  }
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) throw new ScenarioError(file, r.error.issues.map(describe));
  const s = r.data;
  const issues: string[] = [];
  const vms = new Set(s.vms.map((v) => v.name));
  const threads = new Set(s.threads.map((t) => t.name));
  s.threads.forEach((t, i) => {
    if (t.cpu >= s.machine.cpus)
      issues.push(`threads.${i}.cpu: ${t.cpu} but the machine has ${s.machine.cpus} CPUs`);
    if ((t.kind === 'vcpu' || t.kind === 'host') && (!t.vm || !vms.has(t.vm))) {
      issues.push(
        `threads.${i}.vm: a ${t.kind} thread needs one of the VMs (${[...vms].join(', ') || 'none defined'})`,
      );
    }
  });
  s.steps.forEach((st, i) => {
    if (!threads.has(st.thread))
      issues.push(`steps.${i}.thread: unknown thread ${st.thread} (threads: ${[...threads].join(', ')})`);
    if (st.vm !== undefined && !vms.has(st.vm))
      issues.push(`steps.${i}.vm: unknown VM ${st.vm} (VMs: ${[...vms].join(', ')})`);
  });
  if (issues.length > 0) throw new ScenarioError(file, issues);
  return s;
}
