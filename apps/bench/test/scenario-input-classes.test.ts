// Issue 14 for scenario files: every row (a scenario text, the exit code, a substring of the message) goes
// through `scenario` and, where the file is invalid, through `explore` too, which must refuse it the same
// way (one validation path). Run in-process through `main` with the shipped model.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { defaultRegistry } from '../src/registry.ts';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const tempDir = useTempDirs();

export const BASE_SCENARIO = `machine: { cpus: 2 }
backend: vmap
vms:
  - name: vm0
    memslots:
      - { slot: 1, gfn: 0x100, pages: 16, backing: anon, hva: 0x7f0000000000 }
threads:
  - { name: vcpu0, kind: vcpu, vm: vm0, cpu: 0 }
  - { name: irq0, kind: irq, cpu: 1 }
steps:
  - { thread: vcpu0, op: activate, cache: pv, gpa: 0x100000, len: 16, expect: { result: 0, valid: true } }
  - { thread: vcpu0, op: write, cache: pv, offset: 0, bytes: 8, expect: { result: 0 } }
`;

const withStep = (step: string) => `${BASE_SCENARIO}  - ${step}\n`;
const replace = (from: string, to: string) => {
  if (!BASE_SCENARIO.includes(from)) throw new Error(`test bug: ${from} not in the base scenario`);
  return BASE_SCENARIO.replace(from, to);
};
const secondVm = `  - name: vm1\n    memslots: []\n`;

interface Row {
  readonly name: string;
  readonly file: readonly [string, string] | null;
  readonly args?: readonly string[];
  readonly code: number;
  readonly message: string;
  /** A refusal before any step runs: `explore` must refuse it with the same message. */
  readonly invalid: boolean;
}

const ROWS: readonly Row[] = [
  { name: 'the base scenario', file: ['s.yaml', BASE_SCENARIO], code: 0, message: '', invalid: false },
  {
    name: 'JSON with a BOM',
    file: [
      's.json',
      `\uFEFF${JSON.stringify({ machine: { cpus: 1 }, backend: 'vmap', threads: [{ name: 'p', kind: 'process', cpu: 0 }], steps: [{ thread: 'p', op: 'purge' }] })}`,
    ],
    code: 0,
    message: '',
    invalid: false,
  },
  {
    name: 'a missing file',
    file: null,
    args: ['nope.yaml'],
    code: 2,
    message: 'cannot read scenario file nope.yaml: no such file (ENOENT)',
    invalid: true,
  },
  {
    name: 'a directory',
    file: null,
    args: ['.'],
    code: 2,
    message: 'cannot read scenario file .: is a directory, not a file (EISDIR)',
    invalid: true,
  },
  {
    name: 'over the size limit',
    file: ['s.yaml', `# ${'x'.repeat(5 * 1024 * 1024)}\n${BASE_SCENARIO}`],
    code: 2,
    message: 'a scenario file may be at most 4 MiB',
    invalid: true,
  },
  {
    name: 'a YAML alias bomb',
    file: [
      's.yaml',
      `${BASE_SCENARIO}x0: &x0 [a, a, a, a, a, a, a, a]\n${Array.from({ length: 8 }, (_, i) => `x${i + 1}: &x${i + 1} [${Array(8).fill(`*x${i}`).join(', ')}]`).join('\n')}\n`,
    ],
    code: 2,
    message: 'too many YAML aliases',
    invalid: true,
  },
  {
    name: 'JSON syntax',
    file: ['s.json', '{"machine": {"cpus": 1},}'],
    code: 2,
    message: 'not valid JSON',
    invalid: true,
  },
  {
    name: 'a duplicate key',
    file: ['s.yaml', replace('backend: vmap', 'backend: vmap\nbackend: vmap')],
    code: 2,
    message: 'backend: duplicate key (line 3)',
    invalid: true,
  },
  {
    name: '__proto__ in a step',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: check, cache: pv, __proto__: { x: 1 } }')],
    code: 2,
    message: 'steps[2].__proto__: the key "__proto__" is not allowed',
    invalid: true,
  },
  {
    name: 'an unknown field',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: check, cache: pv, lenn: 8 }')],
    code: 2,
    message: 'unknown field(s) lenn',
    invalid: true,
  },
  {
    name: 'an unknown backend in the file',
    file: ['s.yaml', replace('backend: vmap', 'backend: vmapp')],
    code: 2,
    message: 'backend: unknown backend "vmapp" (allowed: direct-map',
    invalid: true,
  },
  {
    name: '--backend vmapp',
    file: ['s.yaml', BASE_SCENARIO],
    args: ['--backend', 'vmapp'],
    code: 2,
    message: '--backend: unknown backend "vmapp"',
    invalid: true,
  },
  {
    name: 'an irq thread naming no VM',
    file: ['s.yaml', replace('kind: irq, cpu: 1', 'kind: irq, vm: vmX, cpu: 1')],
    code: 2,
    message: 'threads.1.vm: unknown VM "vmX" (VMs: vm0)',
    invalid: true,
  },
  {
    name: 'two VMs with one name',
    file: ['s.yaml', replace('threads:', `  - name: vm0\n    memslots: []\nthreads:`)],
    code: 2,
    message: 'vms.1.name: duplicate VM name "vm0" (also vms.0)',
    invalid: true,
  },
  {
    name: 'two threads with one name',
    file: [
      's.yaml',
      replace('  - { name: irq0, kind: irq, cpu: 1 }', '  - { name: vcpu0, kind: irq, cpu: 1 }'),
    ],
    code: 2,
    message: 'threads.1.name: duplicate thread name "vcpu0"',
    invalid: true,
  },
  {
    name: 'one cache name in two VMs',
    file: [
      's.yaml',
      `${replace('threads:', `${secondVm}threads:`).replace('  - { name: irq0', '  - { name: vcpu1, kind: vcpu, vm: vm1, cpu: 1 }\n  - { name: irq0')}  - { thread: vcpu1, op: check, cache: pv }\n`,
    ],
    code: 2,
    message: 'steps.2.cache: cache "pv" belongs to VM vm0 (first used at steps.0), not vm1',
    invalid: true,
  },
  {
    name: 'two memslots with one id',
    file: [
      's.yaml',
      replace(
        'hva: 0x7f0000000000 }',
        'hva: 0x7f0000000000 }\n      - { slot: 1, gfn: 0x200, pages: 1, backing: anon, hva: 0x7f0000100000 }',
      ),
    ],
    code: 2,
    message: 'vms.0.memslots.1.slot: duplicate slot 1',
    invalid: true,
  },
  {
    name: 'a step on an unknown thread',
    file: ['s.yaml', withStep('{ thread: ghost, op: purge }')],
    code: 2,
    message: 'steps.2.thread: unknown thread ghost',
    invalid: true,
  },
  {
    name: 'activate without gpa',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: activate, cache: other }')],
    code: 2,
    message: 'steps.2.gpa: required by op activate',
    invalid: true,
  },
  {
    name: 'run on a CPU the machine lacks',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: run, cpu: 5 }')],
    code: 2,
    message: 'steps.2.cpu: 5 but the machine has 2 CPUs',
    invalid: true,
  },
  {
    name: 'a read before any activate',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: read, cache: never }')],
    code: 2,
    message: 'cache "never" is accessed before any step activates it',
    invalid: true,
  },
  {
    name: 'a write at offset 5000',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: write, cache: pv, offset: 5000 }')],
    code: 2,
    message: 'steps.2.offset: Too big',
    invalid: true,
  },
  {
    name: 'a write of 1e9 bytes',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: write, cache: pv, bytes: 1000000000 }')],
    code: 2,
    message: 'steps.2.bytes: Too big',
    invalid: true,
  },
  {
    name: 'machine.memGiB 1e6',
    file: ['s.yaml', replace('{ cpus: 2 }', '{ cpus: 2, memGiB: 1000000 }')],
    code: 2,
    message: 'machine.memGiB: Too big',
    invalid: true,
  },
  {
    name: 'a negative seed',
    file: ['s.yaml', `seed: -1\n${BASE_SCENARIO}`],
    code: 2,
    message: 'seed: Too small',
    invalid: true,
  },
  {
    name: 'a huge page count',
    file: ['s.yaml', replace('pages: 16', 'pages: 1e12')],
    code: 2,
    message: 'vms.0.memslots.0.pages: Too big',
    invalid: true,
  },
  // Checked while running (exit 1, the step named): what a kernel caller would not do.
  {
    name: 'a write past the checked length',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: write, cache: pv, offset: 12, bytes: 8 }')],
    code: 1,
    message:
      'step 3 (vcpu0 write): access of 8 bytes at offset 12 goes past the 16 bytes checked for cache pv',
    invalid: false,
  },
  {
    name: 'a use past its own len',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: use, cache: pv, len: 8, offset: 4, bytes: 8 }')],
    code: 1,
    message: 'goes past the 8 bytes checked',
    invalid: false,
  },
  {
    name: 'a pauseAt label that does not exist',
    file: ['s.yaml', withStep('{ thread: vcpu0, op: refresh, cache: pv, pauseAt: no-such-label }')],
    code: 1,
    message: 'pauseAt "no-such-label": the op finished without reaching that yield point',
    invalid: false,
  },
];

async function run(command: 'scenario' | 'explore', row: Row, cwd: string) {
  const args = [command, ...(row.file === null ? [] : [row.file[0]]), ...(row.args ?? [])];
  if (command === 'explore') args.push('--max-schedules', '50', '--out', 'cx');
  const io = memoryIo(cwd);
  const code = await main(args, defaultRegistry, io);
  return { code, io };
}

describe('scenario files: bad, big and hostile input (table)', () => {
  it.each(ROWS)('$name -> scenario exits $code', async (row) => {
    const cwd = tempDir();
    if (row.file !== null) writeFileSync(join(cwd, row.file[0]), row.file[1]);
    const { code, io } = await run('scenario', row, cwd);
    expect(code, io.err()).toBe(row.code);
    if (row.code === 0) return;
    expect(io.err()).toContain(row.message);
    expectCleanFailure(io.err());
    if (!row.invalid) return;
    const explored = await run('explore', row, cwd);
    expect(explored.code, explored.io.err()).toBe(2);
    expect(explored.io.err()).toBe(io.err());
  });
});

describe('explore: its own flags, and a counterexample that cannot be written', () => {
  const file = fileURLToPath(
    new URL('../../../packages/pfncache/scenarios/r06-hva-cache-outside-memslots.yaml', import.meta.url),
  );

  it.each([
    [['--out', ''], '--out: must name a directory'],
    [['--out', 'taken'], 'taken is not a directory'],
    [['--max-schedules', '0'], '--max-schedules: must be a positive integer'],
  ])('%j -> exit 2', async (flags, message) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'taken'), 'a file');
    const io = memoryIo(cwd);
    expect(await main(['explore', file, ...flags], defaultRegistry, io)).toBe(2);
    expect(io.err()).toContain(message);
    expectCleanFailure(io.err());
  });

  it('prints the counterexample it cannot save, says why, and exits 1', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'taken'), 'a file');
    mkdirSync(join(cwd, 'ok'));
    const io = memoryIo(cwd);
    expect(await main(['explore', file, '--out', 'taken/sub'], defaultRegistry, io)).toBe(1);
    expect(io.out()).toContain('counterexample: valid-pfn-is-current');
    expect(io.err()).toMatch(/^khva-bench: could not write the counterexample to .*taken\/sub\/.*ENOTDIR/);
    expectCleanFailure(io.err());
  });
});

export const SCENARIO_ROW_COUNT = ROWS.length;
