// Every field of the model's shared objects has a footprint rule: a field added to Machine, Vm,
// VmmMemory, GuestMemfd, Memslots, Mm, Cpu or GfnToPfnCache without one is a type error in footprint.ts (RuleTable),
// and shows up here when an instance carries a field the rule table does not name (e.g. one set in a
// constructor the type does not declare). Private state is ES-private (#) and reached through
// public accessors, so no rule names a private field. memory-core's allocator, page tables, direct map and
// vmalloc range are recorded through their wrapped methods; a backend's fields are all one `backend`.
import { describe, expect, it } from 'vitest';
import { ScheduleRun, threadOps } from '../src/index.ts';
import { load, pfncacheScenario, registry } from './support/world.ts';

const MODEL_CLASSES = ['Machine', 'Vm', 'VmmMemory', 'GuestMemfd', 'Memslots', 'Mm', 'Cpu', 'GfnToPfnCache'];

describe('footprint rules cover the model', () => {
  it.each(['gmem-punch-hole-rfc-v3', 'r11-memslot-delete'])(
    '%s: every field of a modelled shared object has a rule',
    (file) => {
      const scenario = load(pfncacheScenario(file));
      const run = new ScheduleRun(scenario, threadOps(scenario), { registry, backend: 'vmap' }, true, false);
      for (let guard = 0; guard < 200 && !run.finished(); guard++) {
        const next = run.enabled()[0];
        if (next === undefined) break;
        run.step(next);
      }
      const rec = run.rec;
      if (!rec) throw new Error('footprints are off');
      // The run reached the objects the check is about.
      expect(run.world.caches.size).toBeGreaterThan(0);
      const unruled = [...rec.unruled].filter((f) => MODEL_CLASSES.includes(f.split('.')[0] ?? ''));
      expect(unruled).toEqual([]);
    },
  );

  it('a field without a rule is reported', () => {
    const scenario = load(pfncacheScenario('r11-memslot-delete'));
    const run = new ScheduleRun(scenario, threadOps(scenario), { registry, backend: 'vmap' }, true, false);
    const vm = [...run.world.vms.values()][0]!;
    (vm as unknown as Record<string, unknown>).unmodelled = 1;
    run.step(run.enabled()[0]!);
    expect([...(run.rec?.unruled ?? [])]).toContain('Vm.unmodelled');
  });
});
