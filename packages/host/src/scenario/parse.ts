import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Scenario, type ScenarioStep, scenarioSchema } from './schema.ts';

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

/** What each op needs besides `thread` (the runner would fail the step without it). */
const REQUIRED: Partial<Record<ScenarioStep['op'], readonly (keyof ScenarioStep)[]>> = {
  activate: ['cache', 'gpa'],
  'activate-hva': ['cache', 'hva'],
  check: ['cache'],
  refresh: ['cache'],
  deactivate: ['cache'],
  read: ['cache'],
  write: ['cache'],
  use: ['cache'],
  munmap: ['hva'],
  'migrate-page': ['hva'],
  'punch-hole': ['slot'],
  'set-memslot': ['slot'],
  'set-attributes': ['gfn'],
  run: ['cpu'],
};

/** `vms.1.name: duplicate name "vm0" (also vms.0)` for every name used twice in `items`. */
function duplicates(
  items: readonly { readonly name: string }[],
  where: string,
  what: string,
  issues: string[],
): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const seen = first.get(item.name);
    if (seen === undefined) first.set(item.name, i);
    else issues.push(`${where}.${i}.name: duplicate ${what} name "${item.name}" (also ${where}.${seen})`);
  });
}

/**
 * Cross-references a valid-looking scenario: unique names, every VM named exists, each op has the
 * fields it needs, and a cache stays in the VM that first used it. Same checks for `scenario` and
 * `explore`, before either runs a step.
 */
function crossCheck(s: Scenario): string[] {
  const issues: string[] = [];
  duplicates(s.vms, 'vms', 'VM', issues);
  duplicates(s.threads, 'threads', 'thread', issues);
  s.vms.forEach((v, i) => {
    const slots = new Map<number, number>();
    v.memslots.forEach((ms, j) => {
      const seen = slots.get(ms.slot);
      if (seen !== undefined)
        issues.push(`vms.${i}.memslots.${j}.slot: duplicate slot ${ms.slot} (also memslots.${seen})`);
      else slots.set(ms.slot, j);
    });
  });
  const vms = new Set(s.vms.map((v) => v.name));
  const vmList = () => [...vms].join(', ') || 'none defined';
  const threadVm = new Map<string, string | undefined>();
  s.threads.forEach((t, i) => {
    threadVm.set(t.name, t.vm);
    if (t.cpu >= s.machine.cpus)
      issues.push(`threads.${i}.cpu: ${t.cpu} but the machine has ${s.machine.cpus} CPUs`);
    if ((t.kind === 'vcpu' || t.kind === 'host') && t.vm === undefined)
      issues.push(`threads.${i}.vm: a ${t.kind} thread needs one of the VMs (${vmList()})`);
    else if (t.vm !== undefined && !vms.has(t.vm))
      issues.push(`threads.${i}.vm: unknown VM "${t.vm}" (VMs: ${vmList()})`);
  });
  const cacheVm = new Map<string, { vm: string; step: number }>();
  s.steps.forEach((st, i) => {
    if (!threadVm.has(st.thread))
      issues.push(
        `steps.${i}.thread: unknown thread ${st.thread} (threads: ${[...threadVm.keys()].join(', ')})`,
      );
    if (st.vm !== undefined && !vms.has(st.vm))
      issues.push(`steps.${i}.vm: unknown VM ${st.vm} (VMs: ${vmList()})`);
    for (const field of REQUIRED[st.op] ?? [])
      if (st[field] === undefined) issues.push(`steps.${i}.${field}: required by op ${st.op}`);
    if (st.op === 'run' && st.cpu !== undefined && st.cpu >= s.machine.cpus)
      issues.push(`steps.${i}.cpu: ${st.cpu} but the machine has ${s.machine.cpus} CPUs`);
    if (st.op === 'resume' || st.cache === undefined) return;
    const vm = st.vm ?? threadVm.get(st.thread);
    const bound = cacheVm.get(st.cache);
    if (bound === undefined) {
      // The first step that names a cache creates it (kvm_gpc_init) in its VM; a raw access cannot.
      if (st.op === 'read' || st.op === 'write')
        issues.push(`steps.${i}.cache: cache "${st.cache}" is accessed before any step activates it`);
      else if (vm === undefined)
        issues.push(
          `steps.${i}.vm: cache "${st.cache}" is first used here, by thread ${st.thread} of no VM; name the VM with vm:`,
        );
      else cacheVm.set(st.cache, { vm, step: i });
    } else if (vm !== undefined && bound.vm !== vm)
      issues.push(
        `steps.${i}.cache: cache "${st.cache}" belongs to VM ${bound.vm} (first used at steps.${bound.step}), not ${vm}; name another cache`,
      );
  });
  return issues;
}

/** Validate an already parsed document (YAML or JSON): the schema, then the cross-references. */
export function validateScenario(raw: unknown, file = '<scenario>'): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) throw new ScenarioError(file, r.error.issues.map(describe));
  const issues = crossCheck(r.data);
  if (issues.length > 0) throw new ScenarioError(file, issues);
  return r.data;
}

/** Parse and validate scenario text (YAML or JSON). Cross-references are checked too. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  let raw: unknown;
  try {
    // Bounded like the CLI's reader: duplicate keys refused, aliases expanded at most 100 times.
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw new ScenarioError(file, [`not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`]);
  }
  return validateScenario(raw, file);
}
