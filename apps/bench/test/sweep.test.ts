// A sweep end to end in-process, on the real worker pool and model: shards merged give the very bytes of
// the one-machine run; merge refuses foreign, stale, incomplete or doubled shards; one failing point is
// reported and the others kept; sweep.json validates against the published JSON Schema.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../src/input/input-error.ts';
import { defaultRegistry } from '../src/registry.ts';
import { MergeError, mergeSweeps } from '../src/sweep/merge.ts';
import { planSweep, type SweepPlan, shardPoints } from '../src/sweep/plan.ts';
import { renderSweepFiles, renderSweepJson } from '../src/sweep/render-sweep.ts';
import { runPoints } from '../src/sweep/run-points.ts';
import { buildSweep, type Sweep, sweepHeader } from '../src/sweep/sweep.ts';
import { renderSweepJsonSchema, SWEEP_SCHEMA_FILE } from '../src/sweep/sweep-schema.ts';
import { silentProgress } from './fixtures/fake-report.ts';
import { TINY_SWEEP_YAML } from './fixtures/tiny-sweep.ts';

const BUILD = 'test-build';
const failingWorker = new URL('./fixtures/failing-point-worker.mjs', import.meta.url);

async function run(
  plan: SweepPlan,
  shard?: { index: number; count: number },
  workerFile?: URL,
): Promise<Sweep> {
  const points = shard === undefined ? plan.points : shardPoints(plan.points, shard.index, shard.count);
  const results = await runPoints(points, {
    jobs: 2,
    progress: silentProgress,
    ...(workerFile === undefined ? {} : { workerFile }),
  });
  return buildSweep(sweepHeader(plan, BUILD), results, shard);
}

const file = (sweep: Sweep, source: string) => ({ source, text: renderSweepJson(sweep) });

describe('khva-bench sweep and merge', () => {
  let plan: SweepPlan;
  let whole: Sweep;
  let shards: Sweep[];

  beforeAll(async () => {
    plan = planSweep(parseYaml(TINY_SWEEP_YAML), defaultRegistry, 'tiny.yaml');
    [whole, ...shards] = await Promise.all([
      run(plan),
      run(plan, { index: 1, count: 3 }),
      run(plan, { index: 2, count: 3 }),
      run(plan, { index: 3, count: 3 }),
    ]);
  });

  it('runs every point with the real model and normalises per op and per simulated second', () => {
    expect(whole.points.map((p) => p.id)).toEqual(plan.points.map((p) => p.id));
    const entry = whole.points[1]?.results?.find((e) => e.backend === 'vmap');
    expect(entry?.ops).toBe(100);
    const ghz = whole.points[1]?.config.machine.ghz ?? 0;
    const simSeconds = (entry?.cost.cycles ?? 0) / (ghz * 1e9);
    expect(entry?.derived.simSeconds).toBeCloseTo(simSeconds, 15);
    expect(entry?.derived.foreignExposurePageNsPerOp).toBe((entry?.safety.foreignExposurePageNs ?? 0) / 100);
    expect(entry?.derived.staleTranslationNsPerSimSecond).toBe(
      (entry?.safety.staleTranslationNs ?? 0) / simSeconds,
    );
    // vmap purges its lazily freed VA at least once (the purge forced at the end of every run)
    expect(entry?.derived.lazyPurges).toBeGreaterThanOrEqual(1);
  });

  it('merges shards into exactly the bytes of the one-machine run, in any order', async () => {
    const [a, b, c] = shards as [Sweep, Sweep, Sweep];
    expect(a.points.map((p) => p.index)).toEqual([0, 3]);
    const merged = mergeSweeps([file(c, 'c'), file(a, 'a'), file(b, 'b')]);
    const [one, joined] = await Promise.all([renderSweepFiles(whole), renderSweepFiles(merged)]);
    expect(Object.keys(joined)).toEqual(['sweep.json', 'sweep.csv', 'sweep.md', 'sweep.html']);
    for (const name of Object.keys(one)) expect(joined[name], name).toBe(one[name]);
  });

  it('refuses shards of another config or build, missing points and duplicates, naming them', () => {
    const [a, b, c] = shards as [Sweep, Sweep, Sweep];
    const refuse = (files: { source: string; text: string }[]) => {
      try {
        mergeSweeps(files);
      } catch (error) {
        if (error instanceof MergeError || error instanceof InputError) return error.message;
        throw error;
      }
      throw new Error('merged');
    };
    expect(refuse([file(a, 'a'), file({ ...b, configHash: 'f'.repeat(64) }, 'b')])).toMatch(
      /^invalid sweep result b: configHash: from another sweep config \(ffffffffffff\) than a /,
    );
    expect(refuse([file(a, 'a'), file({ ...b, build: 'other' }, 'b'), file(c, 'c')])).toMatch(
      /^invalid sweep result b: build: run by another build \(other\) than a \(test-build\)/,
    );
    expect(refuse([file(a, 'a'), file(c, 'c')])).toBe(
      '1 of 4 points are missing (1); merge the output of every shard',
    );
    expect(refuse([file(a, 'a'), file(b, 'b'), file(c, 'c'), file(a, 'a2')])).toBe(
      'invalid sweep result a2: points[0]: point 0 (vcpus=1 kernel.flushOnZap=true) is also in a; give each shard once',
    );
  });

  it('reports a failing point with its point and keeps the others', async () => {
    const raw = parseYaml(TINY_SWEEP_YAML) as Record<string, unknown>;
    raw.axes = { seed: [7, 13], vcpus: [1, 2] };
    const sweep = await run(planSweep(raw, defaultRegistry, 'seeds.yaml'), undefined, failingWorker);
    expect(sweep.points.map((p) => [p.id, p.error ?? `${p.results?.length} runs`])).toEqual([
      ['seed=7 vcpus=1', '2 runs'],
      ['seed=7 vcpus=2', '2 runs'],
      ['seed=13 vcpus=1', 'worker failed: fixture: seed 13 always fails'],
      ['seed=13 vcpus=2', 'worker failed: fixture: seed 13 always fails'],
    ]);
    const files = await renderSweepFiles(sweep);
    expect(files['sweep.md']).toContain('- seed=13 vcpus=1: worker failed: fixture: seed 13 always fails');
    expect(files['sweep.csv']?.trim().split('\n')).toHaveLength(1 + 2 * 2);
  });

  it('writes sweep.json valid under the published JSON Schema, which is up to date', () => {
    const published = readFileSync(new URL(`../${SWEEP_SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(JSON.parse(published)).toEqual(JSON.parse(renderSweepJsonSchema()));
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(published));
    for (const sweep of [whole, ...shards]) {
      expect(validate(JSON.parse(renderSweepJson(sweep))), JSON.stringify(validate.errors)).toBe(true);
    }
    const broken = JSON.parse(renderSweepJson(whole));
    delete broken.points[0].results[0].derived.lazyPurges;
    expect(validate(broken)).toBe(false);
  });
});
