// Planning a sweep: points in cartesian order with `set` and `where` applied, every bad axis, path,
// expression or point config refused before anything runs (naming it), and shards that partition.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { defaultRegistry } from '../src/registry.ts';
import { planSweep, shardPoints } from '../src/sweep/plan.ts';
import { refusedWith } from './fixtures/refused-with.ts';
import { TINY_SWEEP_YAML } from './fixtures/tiny-sweep.ts';

const tiny = () => parseYaml(TINY_SWEEP_YAML) as Record<string, unknown>;

const problems = (raw: unknown): string[] =>
  refusedWith(
    () => planSweep(raw, defaultRegistry, 'sweep.yaml'),
    'sweep',
    (i) => `${i.path}: ${i.message}`,
  );

describe('planSweep', () => {
  it('expands the axes first-outermost, sets fields from expressions and keeps the plan hash stable', () => {
    const plan = planSweep(tiny(), defaultRegistry, 'sweep.yaml');
    expect(plan.points.map((p) => p.id)).toEqual([
      'vcpus=1 kernel.flushOnZap=true',
      'vcpus=1 kernel.flushOnZap=false',
      'vcpus=2 kernel.flushOnZap=true',
      'vcpus=2 kernel.flushOnZap=false',
    ]);
    const last = plan.points[3];
    expect(last?.config.machine.cpus).toBe(2);
    expect(last?.config.workloads.kvmclock?.vcpusPerVm).toBe(2);
    expect(last?.config.kernel.flushOnZap).toBe(false);
    // defaults of the bench config are applied per point
    expect(last?.config.workloads.kvmclock?.migrateEvery).toBe(200);
    expect(planSweep(tiny(), defaultRegistry, 'other.yaml').configHash).toBe(plan.configHash);
    const changed = tiny();
    (changed.axes as Record<string, unknown[]>).vcpus = [1, 4];
    expect(planSweep(changed, defaultRegistry, 'sweep.yaml').configHash).not.toBe(plan.configHash);
    // one chart axis (vcpus, numeric), the boolean axis held at its first value
    expect(plan.charts).toEqual([{ x: 'vcpus', fix: { 'kernel.flushOnZap': true } }]);
  });

  it('filters points with `where` and takes explicit points', () => {
    const raw = tiny();
    raw.axes = { vcpus: [1, 2, 4], vms: [1, 2] };
    raw.set = {
      'machine.cpus': 'vcpus',
      'workloads.kvmclock.vms': 'vms',
      'workloads.kvmclock.vcpusPerVm': 'vcpus / vms',
    };
    raw.where = 'vms <= vcpus';
    const plan = planSweep(raw, defaultRegistry, 's');
    expect(plan.points.map((p) => p.id)).toEqual([
      'vcpus=1 vms=1',
      'vcpus=2 vms=1',
      'vcpus=2 vms=2',
      'vcpus=4 vms=1',
      'vcpus=4 vms=2',
    ]);
    expect(plan.points.map((p) => p.config.workloads.kvmclock?.vcpusPerVm)).toEqual([1, 2, 1, 4, 2]);

    const explicit = tiny();
    delete explicit.axes;
    explicit.points = [
      { vcpus: 2, 'kernel.flushOnZap': false },
      { vcpus: 1, 'kernel.flushOnZap': true },
    ];
    const points = planSweep(explicit, defaultRegistry, 's').points;
    expect(points.map((p) => [p.index, p.config.machine.cpus, p.config.kernel.flushOnZap])).toEqual([
      [0, 2, false],
      [1, 1, true],
    ]);
  });

  it('names an axis or `set` path that is no config field, with the fields that exist', () => {
    const raw = tiny();
    raw.axes = { 'machine.cpu': [1, 2], 'kernel.flushOnZapp': [true] };
    raw.set = { 'workloads.kvmclok.vms': '1' };
    const issues = problems(raw);
    expect(issues).toContain(
      'axes.machine.cpu: "machine.cpu" names no config field: "machine" has no field "cpu"',
    );
    expect(issues).toContain(
      'axes.kernel.flushOnZapp: "kernel.flushOnZapp" names no config field: "kernel" has no field "flushOnZapp"',
    );
    expect(issues).toContain(
      'set.workloads.kvmclok.vms: "workloads.kvmclok.vms" names no config field: "workloads" has no field "kvmclok"',
    );
  });

  it('refuses unused variables, bad expressions, and points whose config the bench schema refuses', () => {
    const unused = tiny();
    unused.axes = { vcpus: [1], vms: [1] };
    expect(problems(unused)).toEqual([
      'axes.vms: "vms" names no config field and no `set` or `where` expression uses it',
    ]);
    const bad = tiny();
    bad.set = { 'machine.cpus': 'vcpus +' };
    expect(problems(bad)[0]).toMatch(/^set\.machine\.cpus: cannot parse "vcpus \+"/);
    const invalid = tiny();
    invalid.axes = { vcpus: [1, 0] };
    expect(problems(invalid)).toEqual([
      'point vcpus=0: machine.cpus: Too small: expected number to be >=1',
      'point vcpus=0: workloads.kvmclock.vcpusPerVm: Too small: expected number to be >=1',
    ]);
    const both = tiny();
    both.points = [{ vcpus: 1 }];
    expect(problems(both)).toContain('axes: give either `axes` or `points` (one of them)');
    const none = tiny();
    none.where = 'vcpus > 100';
    expect(problems(none)).toEqual(['where: no point is left: the expression is false for every point']);
    expect(problems({ ...tiny(), axes: { machine: [1] } })).toEqual([
      'axes.machine: "machine" is a mapping of the config; name one of its fields (machine.FIELD)',
    ]);
  });

  it('slices shards deterministically: disjoint, together every point', () => {
    const raw = tiny();
    raw.axes = { vcpus: [1, 2, 3, 4, 5], 'kernel.flushOnZap': [true, false] };
    const { points } = planSweep(raw, defaultRegistry, 's');
    const shards = [1, 2, 3].map((i) => shardPoints(points, i, 3).map((p) => p.index));
    expect(shards).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });
});
