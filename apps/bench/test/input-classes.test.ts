// Issue 14, classes 1-4 for configs and the command line: every row is (input, exit code, a substring of
// the message), run in-process through `main`. Every failure must be one short message, never a stack.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { createFakeRegistry, FAKE_CONFIG_YAML } from './fixtures/fake-model.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const tempDir = useTempDirs();

/** A valid fake config as JSON, to mutate. */
const FAKE_JSON = `{
  "seed": 42,
  "machine": { "cpus": 4 },
  "backends": ["fake-direct", "fake-local"],
  "workloads": { "fake-clock": { "vcpus": 2, "updates": 10 } }
}
`;

const yamlWith = (extra: string) => `${FAKE_CONFIG_YAML}${extra}\n`;
/** The valid fake config as c.yaml, and the same with its `machine: { cpus: 4 }` replaced. */
const VALID_YAML = ['c.yaml', FAKE_CONFIG_YAML] as const;
const machineAs = (machine: string) => ['c.yaml', FAKE_CONFIG_YAML.replace('{ cpus: 4 }', machine)] as const;

function aliasBomb(levels: number): string {
  const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
  let prev = 'a';
  for (let i = 0; i < levels; i++) {
    const name = `l${i}`;
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    prev = name;
  }
  return `${lines.join('\n')}\n`;
}

interface Row {
  readonly name: string;
  /** File name and content (string or bytes) of the config; `null`: no file is written. */
  readonly file: readonly [string, string | Uint8Array] | null;
  /** Arguments after `run` (the config flag is added when a file is written). */
  readonly args?: readonly string[];
  readonly code: number;
  readonly message: string;
}

const manyUnknownFields = `seed: 1\nbackends: [fake-direct]\nworkloads: { fake-clock: {} }\nmachine:\n  cpus: 2\n${Array.from({ length: 5000 }, (_, i) => `  field${i}: 1`).join('\n')}\n`;

const ROWS: readonly Row[] = [
  // Class 1: parser errors are one typed line, exit 2.
  { name: 'YAML alias bomb', file: ['bomb.yaml', aliasBomb(8)], code: 2, message: 'too many YAML aliases' },
  {
    name: 'JSON syntax error',
    file: ['c.json', '{"seed": 1,}'],
    code: 2,
    message: '(syntax): line 1: not valid JSON',
  },
  { name: 'YAML syntax error', file: ['c.yaml', 'seed: [1, 2\n'], code: 2, message: 'not valid YAML' },
  {
    name: 'two YAML documents',
    file: ['c.yaml', 'seed: 1\n---\nseed: 2\n'],
    code: 2,
    message: 'not valid YAML',
  },
  {
    name: 'bytes that are not UTF-8',
    file: ['c.yaml', new Uint8Array([0x73, 0x3a, 0xff, 0xfe, 0x0a])],
    code: 2,
    message: 'not UTF-8 text',
  },
  {
    name: 'JSON nested 100000 deep',
    file: ['c.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    code: 2,
    message: 'nested',
  },
  {
    name: 'YAML nested 5000 deep',
    file: ['c.yaml', `seed: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
    code: 2,
    message: 'nested',
  },
  {
    name: 'empty file',
    file: ['c.yaml', ''],
    code: 2,
    message: '(root): expected a mapping of config fields',
  },
  { name: 'a list, not a mapping', file: ['c.json', '[1, 2]'], code: 2, message: 'expected a mapping' },
  {
    name: 'YAML key that is a list',
    file: ['c.yaml', '? [a, b]\n: 1\n'],
    code: 2,
    message: 'a key must be a plain value',
  },
  {
    name: 'seed of the wrong type',
    file: ['c.json', FAKE_JSON.replace('42', '"42"')],
    code: 2,
    message: 'seed: Invalid input',
  },
  // Class 2: bounded work, bounded messages.
  {
    name: 'config over the size limit',
    file: ['big.yaml', `# ${'x'.repeat(600 * 1024)}\nseed: 1\n`],
    code: 2,
    message: 'the file is 600 KiB; a config file may be at most 512 KiB',
  },
  {
    name: '5,000 unknown machine fields',
    file: ['c.yaml', manyUnknownFields],
    code: 2,
    message: 'and 4990 more problems',
  },
  {
    name: 'a directory as the config',
    file: null,
    args: ['--config', '.'],
    code: 2,
    message: 'is a directory, not a file (EISDIR)',
  },
  {
    name: 'a missing config',
    file: null,
    args: ['--config', 'nope.yaml'],
    code: 2,
    message: 'no such file (ENOENT)',
  },
  // Class 3: nothing accepted silently.
  {
    name: 'JSON duplicate key',
    file: ['c.json', FAKE_JSON.replace('"seed": 42,', '"seed": 7, "seed": 8,')],
    code: 2,
    message: 'seed: duplicate key (line 2)',
  },
  {
    name: 'YAML duplicate key',
    file: ['c.yaml', yamlWith('seed: 8')],
    code: 2,
    message: 'seed: duplicate key (line 7)',
  },
  {
    name: 'nested JSON duplicate key',
    file: ['c.json', FAKE_JSON.replace('"cpus": 4', '"cpus": 4, "cpus": 2')],
    code: 2,
    message: 'machine.cpus: duplicate key',
  },
  {
    name: '__proto__ under backendOptions (JSON)',
    file: [
      'c.json',
      FAKE_JSON.replace(
        '"seed": 42,',
        '"seed": 42, "backendOptions": { "fake-direct": { "__proto__": { "x": 1 } } },',
      ),
    ],
    code: 2,
    message: 'backendOptions.fake-direct.__proto__: the key "__proto__" is not allowed',
  },
  {
    name: '__proto__ under backendOptions (YAML)',
    file: ['c.yaml', yamlWith('backendOptions: { __proto__: { fake-direct: {} } }')],
    code: 2,
    message: 'the key "__proto__" is not allowed',
  },
  {
    name: 'constructor as a workload',
    file: ['c.yaml', FAKE_CONFIG_YAML.replace('fake-churn:', 'constructor:')],
    code: 2,
    message: 'workloads.constructor: the key "constructor" is not allowed',
  },
  {
    name: 'prototype in machine',
    file: machineAs('{ cpus: 4, prototype: 1 }'),
    code: 2,
    message: 'machine.prototype: the key "prototype" is not allowed',
  },
  {
    name: 'machine.ghz 1e-300',
    file: machineAs('{ cpus: 4, ghz: 1e-300 }'),
    code: 2,
    message: 'machine.ghz: Too small',
  },
  {
    name: 'calibration row of 1e300 cycles',
    file: ['c.yaml', yamlWith('calibration: { invlpg: 1e300 }')],
    code: 2,
    message: 'calibration.invlpg: Too big',
  },
  {
    name: '--out ""',
    file: VALID_YAML,
    args: ['--out', ''],
    code: 2,
    message: '--out: must name a directory',
  },
  // Class 4: the model's limits are checked up front (exit 2), flags are named as flags.
  {
    name: 'machine.memGiB above the model',
    file: machineAs('{ cpus: 4, memGiB: 100000 }'),
    code: 2,
    message: 'machine.memGiB: Too big: expected number to be <=65536',
  },
  {
    name: 'machine.cpus above the model',
    file: machineAs('{ cpus: 5000 }'),
    code: 2,
    message: 'machine.cpus: Too big: expected number to be <=4096',
  },
  {
    name: 'machine.tlbEntries above the model',
    file: machineAs('{ cpus: 4, tlbEntries: 1e9 }'),
    code: 2,
    message: 'machine.tlbEntries: Too big',
  },
  {
    name: '--backends vmapp',
    file: VALID_YAML,
    args: ['--backends', 'vmapp'],
    code: 2,
    message: '--backends: unknown backend "vmapp" (allowed: fake-direct',
  },
  {
    name: '--workloads nope',
    file: VALID_YAML,
    args: ['--workloads', 'nope'],
    code: 2,
    message: '--workloads: unknown workload "nope"',
  },
  {
    name: '--out naming a file',
    file: VALID_YAML,
    args: ['--out', 'c.yaml'],
    code: 2,
    message: 'c.yaml is not a directory',
  },
  {
    name: '--seed out of range',
    file: VALID_YAML,
    args: ['--seed', '99999999999'],
    code: 2,
    message: "option '--seed <n>' argument '99999999999' is invalid",
  },
  // Accepted: a JSON config with a byte-order mark.
  { name: 'JSON with a BOM', file: ['c.json', `\uFEFF${FAKE_JSON}`], code: 0, message: '' },
];

describe('khva-bench run: bad, big and hostile input (table)', () => {
  it.each(ROWS)('$name -> exit $code', async (row) => {
    const cwd = tempDir();
    const args = ['run', '--quiet', ...(row.args ?? [])];
    if (row.file !== null) {
      writeFileSync(join(cwd, row.file[0]), row.file[1]);
      if (!args.includes('--config')) args.push('--config', row.file[0]);
    }
    if (!args.includes('--out')) args.push('--out', 'out');
    const io = memoryIo(cwd);
    const code = await main(args, createFakeRegistry(), io);
    expect(code, io.err()).toBe(row.code);
    if (row.code === 0) {
      expect(io.err()).toBe('');
      return;
    }
    expect(io.err()).toContain(row.message);
    expectCleanFailure(io.err());
    // Nothing was written for a refused input.
    expect(readdirSync(cwd).filter((f) => f === 'out')).toEqual([]);
  });

  it('a failed check never runs a workload: --out naming a file is noticed before the first run', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'config.yaml'), FAKE_CONFIG_YAML);
    mkdirSync(join(cwd, 'out'));
    mkdirSync(join(cwd, 'out', 'report.md'));
    const io = memoryIo(cwd);
    expect(await main(['run', '--config', 'config.yaml', '--out', 'out'], createFakeRegistry(), io)).toBe(2);
    expect(io.err()).toBe(
      `khva-bench: --out: ${join(cwd, 'out', 'report.md')} is a directory; a report file cannot replace it\n`,
    );
  });
});

export const CONFIG_ROW_COUNT = ROWS.length;
