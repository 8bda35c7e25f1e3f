// gpcUseAlone (the workloads' access, with no generator on a valid cache) must do exactly what
// running gpcUse to its end does: same outcomes, same charges by row, same counters, same oracle.
import type { BackendFactory } from '@khva/backend-api';
import { Host } from '@khva/host';
import { type GfnToPfnCache, gpcUse, gpcUseAlone, type UseOutcome } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { builtinBackends } from '../src/index.ts';
import { anonSlot, gmemSlot } from './support/slots.ts';

type Use = (
  host: Host,
  t: ReturnType<Host['thread']>,
  g: GfnToPfnCache,
  len: number,
  atomic: boolean,
) => UseOutcome;
const byGenerator: Use = (host, t, g, len, atomic) => host.run(t, gpcUse(t, g, { len, op: 'write', atomic }));
const alone: Use = (host, t, g, len, atomic) => gpcUseAlone(host, t, g, { len, op: 'write', atomic });

/** Hits, misses after memslot changes (refresh), atomic give-ups, an IRQ on another process's CPU. */
function script(factory: BackendFactory<object>, use: Use) {
  const host = new Host({ machine: { cpus: 3 }, backend: factory, seed: 5 });
  const vm = host.addVm({ name: 'vm0', memslots: [gmemSlot, anonSlot] });
  const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
  host.addThread({ name: 'other', kind: 'process', cpu: 1 });
  const irq = host.addThread({ name: 'irq1', kind: 'irq', cpu: 1 });
  const pv = host.createCache('pv', vm);
  const anon = host.createCache('anon', vm);
  host.run(vcpu, pv.activate(vcpu, 0x2000, 32));
  host.run(vcpu, anon.activate(vcpu, 0x100 * 4096 + 64, 8));
  const outcomes: UseOutcome[] = [];
  const results: unknown[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) {
      outcomes.push(use(host, vcpu, pv, 32, false), use(host, vcpu, anon, 8, false));
      results.push(vcpu.result);
    }
    outcomes.push(use(host, irq, pv, 32, true), use(host, irq, anon, 8, true));
    // A memslot change bumps the generation: the next checks fail, atomic users give up, others refresh.
    host.setMemslots(vm, [
      {
        ...anonSlot,
        slot: 2 + round,
        gfn: 0x400 + round * 0x100,
        hva: 0x7d00_0000_0000 + round * 0x1000_0000,
      },
    ]);
    outcomes.push(
      use(host, irq, pv, 32, true),
      use(host, vcpu, pv, 32, false),
      use(host, vcpu, anon, 8, false),
    );
  }
  const m = host.machine;
  return {
    outcomes: outcomes.map((o) => ({ ...o, access: o.access === null ? null : { ...o.access } })),
    results: results.map((r) => JSON.stringify(r)),
    byRow: Object.fromEntries(m.ledger.byRow),
    cycles: m.ledger.cycles,
    counters: { ...m.ledger.counters },
    pv: { ...pv.counters },
    anon: { ...anon.counters },
    oracle: m.oracle.figures(),
    srcu: vm.srcuReaders,
    current: m.currentCpu,
  };
}

describe('gpcUseAlone', () => {
  it.each(builtinBackends.map((f) => [f.name, f] as const))(
    '%s: the same outcomes, charges, counters and oracle as gpcUse run to its end',
    (_name, factory) => {
      const a = script(factory, byGenerator);
      const b = script(factory, alone);
      expect(b).toEqual(a);
      // The script exercised both ways out: valid-cache hits and refreshes after each memslot change.
      expect(a.pv.uses).toBeGreaterThan(12);
      expect(a.outcomes.some((o) => o.refreshes > 0)).toBe(true);
      expect(a.outcomes.some((o) => o.result === 0 && o.refreshes === 0)).toBe(true);
      expect(a.outcomes.some((o) => o.result === 'EWOULDBLOCK')).toBe(true);
      expect(b.srcu).toBe(0);
    },
  );
});
