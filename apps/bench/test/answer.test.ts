// docs/answer.md's generator on a small seed-question sweep: every number of the answer's first paragraph
// is a fact recomputed here from sweep.json (outside the quoted cover letter, no other digit remains), and
// changing the sweep's data changes the sentences.
import { defaultCalibration } from '@khva/memory-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildAnswer, COVER_LETTER_VA } from '../src/answer/answer.ts';
import { type Fact, formatFact } from '../src/answer/facts.ts';
import { defaultRegistry } from '../src/registry.ts';
import { planSweep } from '../src/sweep/plan.ts';
import { runPoints } from '../src/sweep/run-points.ts';
import { buildSweep, type Sweep, sweepHeader } from '../src/sweep/sweep.ts';
import { silentProgress } from './fixtures/fake-report.ts';

// The seed question's shape at toy sizes.
const SMALL_SEED_QUESTION = `
base:
  seed: 7
  machine: { cpus: 1 }
  backends: [direct-map, vmap, memremap-relaxed, mm-local, ephmap, restore]
  workloads:
    kvmclock: { vms: 1, vcpusPerVm: 1, updates: 64, secretPages: 2 }
    xen-evtchn: { vms: 1, vcpusPerVm: 1, events: 64, otherProcesses: 2, secretPages: 2 }
    vm-churn: { vms: 4, vcpusPerVm: 1, secretPages: 1 }
axes:
  vcpus: [2, 4]
  vms: [1, 2]
  kernel.flushOnZap: [true, false]
set:
  machine.cpus: vcpus
  workloads.kvmclock.vms: vms
  workloads.kvmclock.vcpusPerVm: vcpus / vms
  workloads.xen-evtchn.vms: vms
  workloads.xen-evtchn.vcpusPerVm: vcpus / vms
  workloads.vm-churn.vcpusPerVm: vcpus / vms
charts:
  - { x: vcpus, fix: { vms: 2, kernel.flushOnZap: true } }
`;

/** A metric read straight from sweep.json (written here, independently of the generator's lookup). */
function lookup(sweep: Sweep, fact: Fact): number {
  const s = fact.source;
  if (s.kind === 'axis') {
    const axis = sweep.axes.find((a) => a.name === s.axis);
    if (s.axis !== 'crossings') expect(axis?.values).toContain(s.value);
    return s.value;
  }
  const entries = sweep.points
    .filter((p) => s.points.includes(p.id))
    .flatMap((p) => p.results ?? [])
    .filter((e) => e.backend === s.backend && (s.workload === null || e.workload === s.workload));
  expect(entries.length).toBeGreaterThan(0);
  const read = (e: (typeof entries)[number]): number => {
    const all: Record<string, number> = { ...e.cost, ...e.safety, ...e.derived };
    const value = all[s.metric];
    if (value === undefined) throw new Error(`no metric ${s.metric}`);
    return value;
  };
  const sum = entries.reduce((total, e) => total + read(e), 0);
  const baseline =
    s.minus === null
      ? 0
      : sweep.points
          .filter((p) => s.points.includes(p.id))
          .flatMap((p) => p.results ?? [])
          .filter((e) => e.backend === s.minus && (s.workload === null || e.workload === s.workload))
          .reduce((total, e) => total + read(e), 0);
  return ((sum - baseline) * s.times) / s.divide;
}

describe('the answer generator', () => {
  let sweep: Sweep;

  beforeAll(async () => {
    const plan = planSweep(parseYaml(SMALL_SEED_QUESTION), defaultRegistry, 'small.yaml');
    sweep = buildSweep(
      sweepHeader(plan, 'answer-test'),
      await runPoints(plan.points, { jobs: 2, progress: silentProgress }),
    );
  });

  const answerOf = (s: Sweep) =>
    buildAnswer({
      sweep: s,
      command: 'khva-bench answer --config small.yaml --out docs',
      sweepFile: 'small.yaml',
      calibration: defaultCalibration,
    });

  it('writes only numbers that come from the sweep into the first paragraph', () => {
    const answer = answerOf(sweep);
    const paragraph = answer.firstParagraph;
    expect(answer.markdown.split('\n')).toContain(paragraph);
    expect(paragraph).toContain(`“${COVER_LETTER_VA}”`);
    for (const word of [
      'cycles/op',
      'IPIs/op',
      'global flushes/op',
      'lazy-purge stalls',
      'MiB of kernel VA',
      'foreign mms',
      'Xen IRQ slow-path rate',
      'oopses',
      'recommends',
    ]) {
      expect(paragraph).toContain(word);
    }
    expect(answer.facts.length).toBeGreaterThan(40);
    for (const fact of answer.facts) {
      const value = lookup(sweep, fact);
      expect(fact.value).toBe(value);
      expect(fact.text).toBe(formatFact(value));
    }
    // Remove the quote and every fact's text: not one digit may be left.
    let rest = paragraph.replace(/“[^”]*”/g, '');
    for (const text of [...new Set(answer.facts.map((f) => f.text))].sort((a, b) => b.length - a.length)) {
      rest = rest.split(text).join('#');
    }
    expect(rest.match(/\d+/g) ?? []).toEqual([]);
  });

  it('follows the data: another value in sweep.json, another sentence', () => {
    const before = answerOf(sweep);
    const changed = structuredClone(sweep);
    const big = changed.points.find((p) => p.id === 'vcpus=4 vms=2 kernel.flushOnZap=true');
    const entry = big?.results?.find((e) => e.workload === 'kvmclock' && e.backend === 'vmap');
    if (entry === undefined) throw new Error('no vmap kvmclock entry');
    entry.cost.cyclesPerOp = 123456789;
    entry.cost.vaBytesPeak = 3 * 1024 * 1024;
    const after = answerOf(changed);
    const baseline = big?.results?.find((e) => e.workload === 'kvmclock' && e.backend === 'direct-map');
    const extra = formatFact(123456789 - (baseline?.cost.cyclesPerOp ?? 0));
    expect(before.firstParagraph).not.toContain(`**vmap** +${extra} cycles/op`);
    expect(after.firstParagraph).toContain(`**vmap** +${extra} cycles/op`);
    expect(after.firstParagraph).toContain(
      "the model's vmap peaks at 3 MiB for 4 kvmclock gpcs, 768 KiB per gpc",
    );
  });
});
