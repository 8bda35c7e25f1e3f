// Issue 14 for the sweep files and the sweep.json files `merge` and `answer --sweep` read back: every row
// (files, command line, exit code, a substring of the message) runs in-process through `main`. They read
// through the same size-limited, hardened reader as configs and scenarios, and fail with one message that
// names the file and the field. Huge inputs are sparse files: refused by their size, never read.
import { mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main } from '../src/cli.ts';
import { defaultRegistry } from '../src/registry.ts';
import { renderSweepJson } from '../src/sweep/render-sweep.ts';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';
import { TINY_SWEEP_YAML, tinySweeps } from './fixtures/tiny-sweep.ts';

const tempDir = useTempDirs();

/** A file's content, or a sparse file of that many bytes (huge without writing it). */
type Content = string | { readonly sparse: number };

interface Row {
  readonly name: string;
  readonly files: Readonly<Record<string, Content>>;
  readonly args: readonly string[];
  readonly code: number;
  readonly message: string;
}

const sweepYaml = (edit: (text: string) => string) => {
  const text = edit(TINY_SWEEP_YAML);
  if (text === TINY_SWEEP_YAML) throw new Error('test bug: the edit changed nothing');
  return text;
};
/** Refused after parsing (every point filtered out): proves the file got through the reader and parser. */
const NO_POINT_LEFT = `${TINY_SWEEP_YAML}where: vcpus > 5\n`;
const SWEEP_JSON = JSON.stringify({ ...(parseYaml(TINY_SWEEP_YAML) as object), where: 'vcpus > 5' });

function sweepRows(): Row[] {
  const sweep = (
    file: string,
    content: Content | null,
    code: number,
    message: string,
    name: string,
  ): Row => ({
    name: `sweep: ${name}`,
    files: content === null ? {} : { [file]: content },
    args: ['sweep', '--config', file, '--quiet', '--out', 'out'],
    code,
    message,
  });
  return [
    sweep('s.yaml', NO_POINT_LEFT, 2, 's.yaml: where: no point is left', 'parsed, then refused'),
    sweep('s.json', `\uFEFF${SWEEP_JSON}`, 2, 's.json: where: no point is left', 'JSON with a BOM is read'),
    sweep(
      's.json',
      SWEEP_JSON.replace('"seed":7', '"seed":7,"seed":8'),
      2,
      'base.seed: duplicate key',
      'JSON duplicate key',
    ),
    sweep(
      's.yaml',
      sweepYaml((t) => t.replace('  seed: 7\n', '  seed: 7\n  seed: 8\n')),
      2,
      'base.seed: duplicate key (line 5)',
      'YAML duplicate key',
    ),
    sweep(
      's.yaml',
      sweepYaml((t) => t.replace('  seed: 7\n', '  __proto__: { seed: 1 }\n')),
      2,
      'base.__proto__: the key "__proto__" is not allowed',
      '__proto__ in base',
    ),
    sweep(
      's.yaml',
      { sparse: 600 * 1024 },
      2,
      'invalid config s.yaml: (file): the file is 600 KiB; a config file may be at most 512 KiB',
      'over the size limit',
    ),
    sweep(
      's.yaml',
      TINY_SWEEP_YAML.slice(0, TINY_SWEEP_YAML.indexOf('axes:') + 18),
      2,
      'not valid YAML',
      'truncated YAML',
    ),
    sweep(
      's.yaml',
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      2,
      'too many YAML aliases',
      'alias bomb',
    ),
    sweep(
      's.yaml',
      `${TINY_SWEEP_YAML.split('axes:')[0]}axes:\n${Array.from({ length: 10 }, (_, i) => `  seed${i}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]`).join('\n')}\n`,
      2,
      'axes: 10,000,000,000 points; a sweep has at most 10000',
      '10^10 points, refused before expanding',
    ),
    sweep(
      's.yaml',
      sweepYaml((t) => t.replace('kernel.flushOnZap', 'kernel.flushOnZapp')),
      2,
      'axes.kernel.flushOnZapp',
      'an axis naming no field',
    ),
    sweep(
      's.yaml',
      sweepYaml((t) => t.replace('[1, 2]', '[]')),
      2,
      'axes.vcpus: give an axis at least one value',
      'an empty axis',
    ),
    sweep(
      'nope.yaml',
      null,
      2,
      'invalid config nope.yaml: (file): cannot read the file: no such file (ENOENT)',
      'a missing file',
    ),
  ];
}

function mergeRows(): Row[] {
  const { shards } = tinySweeps({ charts: true });
  const { whole } = tinySweeps({ charts: false });
  const [a, b] = shards.map(renderSweepJson) as [string, string];
  const json = (value: unknown) => JSON.stringify(value);
  const parsedA = JSON.parse(a) as Record<string, unknown> & { points: Record<string, unknown>[] };
  const merge = (files: Record<string, Content>, code: number, message: string, name: string): Row => ({
    name: `merge: ${name}`,
    files,
    args: ['merge', ...new Set(Object.keys(files).map((f) => dirname(f))), '--out', 'out'],
    code,
    message,
  });
  return [
    merge({ 'a/sweep.json': a, 'b/sweep.json': b }, 0, '', 'two shards'),
    merge({ 'w/sweep.json': `\uFEFF${renderSweepJson(whole)}` }, 0, '', 'a whole sweep with a BOM'),
    merge(
      { 'a/sweep.json': a, 'b/x.json': '{}' },
      2,
      'invalid sweep result b/sweep.json: (file): cannot read the file: no such file (ENOENT)',
      'a directory without sweep.json',
    ),
    merge(
      { 'a/sweep.json': a, 'b/sweep.json': b.slice(0, b.length / 2) },
      2,
      'invalid sweep result b/sweep.json: (syntax): line ',
      'a truncated shard',
    ),
    merge({ 'a/sweep.json': a, 'b/sweep.json': '' }, 2, 'b/sweep.json: (syntax)', 'an empty shard'),
    merge(
      { 'a/sweep.json': { sparse: 65 * 1024 * 1024 } },
      2,
      'a/sweep.json: (file): the file is 65 MiB; a sweep result file may be at most 64 MiB',
      'a shard over the size limit',
    ),
    merge(
      { 'a/sweep.json': a.replace('"build": "test-build"', '"build": "test-build", "build": "other"') },
      2,
      'a/sweep.json: build: duplicate key (line ',
      'a duplicate key',
    ),
    merge(
      { 'a/sweep.json': a.replace('"pointCount"', '"__proto__": {}, "pointCount"') },
      2,
      'a/sweep.json: __proto__: the key "__proto__" is not allowed',
      'a __proto__ key',
    ),
    merge(
      { 'a/sweep.json': '[1]' },
      2,
      'a/sweep.json: (root): expected a mapping of sweep result fields',
      'a list, not a mapping',
    ),
    merge(
      { 'a/sweep.json': `{"a":${'['.repeat(200)}${']'.repeat(200)}}` },
      2,
      'a/sweep.json: (root): nested more than 64 levels deep',
      'nested 200 deep',
    ),
    merge(
      { 'a/sweep.json': 'schema: khva.sweep/v1\n' },
      2,
      'a/sweep.json: (syntax): not valid JSON: Unexpected token',
      'YAML, not JSON',
    ),
    merge(
      { 'a/sweep.json': json({ ...parsedA, schema: 'khva.sweep/v0' }) },
      2,
      'a/sweep.json: schema: Invalid input: expected "khva.sweep/v1"',
      'another schema',
    ),
    merge(
      { 'a/sweep.json': json({ ...parsedA, points: [{ ...parsedA.points[0], config: { seed: '7' } }] }) },
      2,
      'a/sweep.json:\n  points[0].config.seed',
      'a point with a bad config',
    ),
    merge(
      { 'a/sweep.json': json({ ...parsedA, pointCount: 1e9 }) },
      2,
      'a/sweep.json: pointCount: 1000000000 points; a sweep has at most 10000',
      'a pointCount of 10^9',
    ),
    merge(
      { 'a/sweep.json': json({ ...parsedA, points: [{ ...parsedA.points[0], index: 4 }] }) },
      2,
      "a/sweep.json: points[0].index: 4 is past the sweep's 4 points",
      'a point past pointCount',
    ),
    merge(
      {
        'a/sweep.json': a,
        'b/sweep.json': b.replace(/"configHash": "[0-9a-f]+"/, `"configHash": "${'f'.repeat(64)}"`),
      },
      2,
      'invalid sweep result b/sweep.json: configHash: from another sweep config (ffffffffffff) than a/sweep.json',
      'shards of different sweeps',
    ),
    merge(
      { 'a/sweep.json': a, 'b/sweep.json': b.replace('"build": "test-build"', '"build": "other"') },
      2,
      'invalid sweep result b/sweep.json: build: run by another build (other) than a/sweep.json',
      'shards of different builds',
    ),
    merge(
      { 'a/sweep.json': a, 'b/sweep.json': b, 'c/sweep.json': a },
      2,
      'invalid sweep result c/sweep.json: points[0]: point 0 (vcpus=1 kernel.flushOnZap=true) is also in a/sweep.json',
      'a shard given twice',
    ),
    merge({ 'a/sweep.json': a }, 2, 'cannot merge: 2 of 4 points are missing (1, 3)', 'a shard missing'),
  ];
}

function answerRows(): Row[] {
  const { whole } = tinySweeps({ charts: false });
  const text = renderSweepJson(whole);
  const answer = (content: Content | null, message: string, name: string): Row => ({
    name: `answer --sweep: ${name}`,
    files: content === null ? {} : { 'w/sweep.json': content },
    args: ['answer', '--config', 'unused.yaml', '--sweep', 'w', '--out', 'out'],
    code: 2,
    message,
  });
  return [
    answer(
      null,
      'invalid sweep result w/sweep.json: (file): cannot read the file: no such file (ENOENT)',
      'no sweep.json',
    ),
    answer(text.slice(0, 100), 'invalid sweep result w/sweep.json: (syntax)', 'a truncated sweep.json'),
    answer(
      text.replace('"pointCount"', '"pointCount": 4, "pointCount"'),
      'w/sweep.json: pointCount: duplicate key',
      'a duplicate key',
    ),
  ];
}

const ROWS: readonly Row[] = [...sweepRows(), ...mergeRows(), ...answerRows()];

function writeFiles(cwd: string, files: Readonly<Record<string, Content>>): void {
  for (const [name, content] of Object.entries(files)) {
    const path = join(cwd, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof content === 'string') writeFileSync(path, content);
    else {
      writeFileSync(path, '');
      truncateSync(path, content.sparse);
    }
  }
}

describe('sweep, merge and answer --sweep: bad, big and hostile input (table)', () => {
  it.each(ROWS)('$name -> exit $code', async (row) => {
    const cwd = tempDir();
    writeFiles(cwd, row.files);
    const io = memoryIo(cwd);
    const code = await main([...row.args], defaultRegistry, io);
    expect(code, io.err()).toBe(row.code);
    if (row.code === 0) {
      expect(io.err()).toBe('');
      expect(readdirSync(join(cwd, 'out'))).toContain('sweep.json');
      return;
    }
    expect(io.err()).toContain(row.message);
    expectCleanFailure(io.err());
    // Nothing was written for a refused input.
    expect(readdirSync(cwd)).not.toContain('out');
  });
});

export const SWEEP_ROW_COUNT = ROWS.length;
