// The property of issue 14: every invocation either succeeds or exits non-zero with a short `khva-bench:`
// message, never a stack trace and never `internal error`. Checked with fast-check over generated configs
// and over mutations of every shipped scenario file, in-process through `main` with injected IO.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { main } from '../src/cli.ts';
import { defaultRegistry } from '../src/registry.ts';
import { renderSweepJson } from '../src/sweep/render-sweep.ts';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { createFakeRegistry, FAKE_CONFIG_YAML } from './fixtures/fake-model.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';
import { tinySweeps } from './fixtures/tiny-sweep.ts';

const tempDir = useTempDirs();

/** Runs of each property; with the tables, the count of inputs this tests try is in the report. */
export const CONFIG_RUNS = 150;
export const SCENARIO_RUNS = 150;
export const MERGE_RUNS = 40;

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url));
const SHIPPED_SCENARIOS: readonly { name: string; doc: unknown }[] = [
  'pfncache',
  'explorer',
  'backends',
].flatMap((pkg) => {
  const dir = join(packagesDir, pkg, 'scenarios');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: `${pkg}/${f}`, doc: parseYaml(readFileSync(join(dir, f), 'utf8')) as unknown }));
});

/** Values a user (or a fuzzer) might put anywhere. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1e-300,
    1e300,
    2 ** 53,
    4097,
    '',
    '0x',
    '0xffffffffffffffffff',
    'vm0',
  ),
  fc.integer({ min: -5, max: 70 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 10 }),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('name', 'cpu', 'x', 'constructor', 'op'), fc.integer({ min: 0, max: 3 }), {
    maxKeys: 2,
  }),
);

/** One edit of a parsed document: the n-th node (mod their number) is replaced, removed, or given a key. */
const edit = fc.record({
  kind: fc.constantFrom('set', 'delete', 'add-key', 'duplicate-item'),
  at: fc.nat(),
  value: nasty,
  key: fc.constantFrom('extra', '__proto__', 'prototype', 'name', 'vm', 'cache', 'pauseAt', 'len'),
});

/** A text-level edit after serialising: truncation, a BOM, a stray character, a duplicated line. */
const textEdit = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'bom' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    char: fc.constantFrom('{', ']', ':', '&a', '*a', '\t', '"', '\u0000'),
  }),
  fc.record({ kind: fc.constant('dup-line' as const), at: fc.nat() }),
);

type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;
type TextEdit = typeof textEdit extends fc.Arbitrary<infer T> ? T : never;
type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

function nodes(root: unknown): { parent: Container; key: string | number }[] {
  const out: { parent: Container; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (!isContainer(v)) return;
    const entries: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : Object.entries(v);
    for (const [k, child] of entries) {
      out.push({ parent: v, key: k });
      walk(child);
    }
  };
  walk(root);
  return out;
}

function applyEdits(doc: unknown, edits: readonly Edit[]): unknown {
  const copy: unknown = structuredClone(doc);
  for (const e of edits) {
    const all = nodes(copy);
    const target = all[e.at % Math.max(1, all.length)];
    if (target === undefined) continue;
    const { parent, key } = target;
    const child = (parent as Record<string | number, unknown>)[key];
    if (e.kind === 'set') (parent as Record<string | number, unknown>)[key] = structuredClone(e.value);
    else if (e.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[String(key)];
    } else if (e.kind === 'add-key' && isContainer(child) && !Array.isArray(child)) {
      // defineProperty, so that `__proto__` becomes an own key as a parser would make it.
      Object.defineProperty(child, e.key, {
        value: structuredClone(e.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (e.kind === 'duplicate-item' && Array.isArray(parent)) parent.push(structuredClone(child));
  }
  return copy;
}

function serialise(doc: unknown, json: boolean, t: TextEdit): string {
  let text = json ? JSON.stringify(doc, null, 1) : stringifyYaml(doc);
  switch (t.kind) {
    case 'bom':
      return `\uFEFF${text}`;
    case 'truncate':
      return text.slice(0, t.at % (text.length + 1));
    case 'insert': {
      const at = t.at % (text.length + 1);
      return text.slice(0, at) + t.char + text.slice(at);
    }
    case 'dup-line': {
      const lines = text.split('\n');
      const at = t.at % lines.length;
      lines.splice(at, 0, lines[at] ?? '');
      text = lines.join('\n');
      return text;
    }
    default:
      return text;
  }
}

function expectOneOfTheExits(code: number, stderr: string, stdout: string): void {
  expect([0, 1, 2], stderr).toContain(code);
  if (code === 0) return;
  // explore's finding: exit 1 with the counterexample on stdout is its answer, not an error message.
  if (code === 1 && stderr === '' && stdout.includes('\ncounterexample: ')) return;
  expectCleanFailure(stderr);
}

const fakeConfig = parseYaml(FAKE_CONFIG_YAML) as unknown;

describe('every invocation ends in success or one clean message (fast-check)', () => {
  it(`khva-bench run over ${CONFIG_RUNS} generated configs`, async () => {
    const cwd = tempDir();
    const registry = createFakeRegistry();
    await fc.assert(
      fc.asyncProperty(
        fc.array(edit, { minLength: 0, maxLength: 3 }),
        fc.boolean(),
        textEdit,
        fc.constantFrom(
          [],
          ['--seed', '3'],
          ['--backends', 'fake-local'],
          ['--workloads', 'fake-clock'],
          ['--out', ''],
        ),
        async (edits, json, t, flags) => {
          const file = json ? 'c.json' : 'c.yaml';
          writeFileSync(join(cwd, file), serialise(applyEdits(fakeConfig, edits), json, t));
          const io = memoryIo(cwd);
          const code = await main(
            ['run', '--quiet', '--config', file, '--out', 'out', ...flags],
            registry,
            io,
          );
          expectOneOfTheExits(code, io.err(), io.out());
        },
      ),
      { numRuns: CONFIG_RUNS },
    );
  });

  it(`khva-bench scenario and explore over ${SCENARIO_RUNS} mutations of the ${SHIPPED_SCENARIOS.length} shipped scenarios`, async () => {
    const cwd = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SHIPPED_SCENARIOS),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        textEdit,
        fc.constantFrom('scenario', 'scenario', 'scenario', 'explore'),
        async (shipped, edits, json, t, command) => {
          const file = json ? 's.json' : 's.yaml';
          writeFileSync(join(cwd, file), serialise(applyEdits(shipped.doc, edits), json, t));
          const io = memoryIo(cwd);
          const args =
            command === 'explore'
              ? ['explore', file, '--max-schedules', '20', '--out', 'cx']
              : ['scenario', file];
          const code = await main(args, defaultRegistry, io);
          expectOneOfTheExits(code, io.err(), io.out());
        },
      ),
      { numRuns: SCENARIO_RUNS },
    );
  });

  it(`khva-bench merge over ${MERGE_RUNS} mutations of a shard's sweep.json`, async () => {
    const shards = tinySweeps({ charts: false }).shards.map((s) => JSON.parse(renderSweepJson(s)) as unknown);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 1 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        textEdit,
        async (which, edits, t) => {
          const cwd = tempDir();
          shards.forEach((shard, i) => {
            mkdirSync(join(cwd, `s${i}`));
            const text = i === which ? serialise(applyEdits(shard, edits), true, t) : JSON.stringify(shard);
            writeFileSync(join(cwd, `s${i}`, 'sweep.json'), text);
          });
          const io = memoryIo(cwd);
          const code = await main(['merge', 's0', 's1', '--out', 'out'], defaultRegistry, io);
          expectOneOfTheExits(code, io.err(), io.out());
        },
      ),
      { numRuns: MERGE_RUNS },
    );
  });
});
