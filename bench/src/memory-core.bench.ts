import { type ExecContext, Machine, PAGE_SIZE } from '@khva/memory-core';
import { type BenchTask, mapDataViewBaseline, type SuiteDefinition } from './harness.ts';

const fail = (task: string, what: string): never => {
  throw new Error(`${task}: ${what}`);
};

/** A 4-CPU machine with one guest page (removed from the direct map) mapped in vmalloc space. */
function world(): { m: Machine; ctx: ExecContext; va: number; pfn: number } {
  const m = new Machine({ cpus: 4 });
  const vm = m.createMm('vm');
  const page = m.mem.alloc(1, vm.id, 'secret');
  m.removeFromDirectMap(page.pfn);
  const va = m.vmalloc.alloc(PAGE_SIZE);
  m.mapGlobal(va, page.pfn);
  return { m, ctx: { cpu: m.cpu(0), mode: 'process', who: 'bench' }, va, pfn: page.pfn };
}

/** 8-byte write through a vmalloc VA whose translation is already in the TLB. */
function tlbHit(): BenchTask {
  const name = 'access: TLB hit, 8-byte write (vmalloc)';
  const { m, ctx, va } = world();
  const data = new Uint8Array(8);
  const batch = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = m.access(ctx, va + ((i & 511) << 3), 8, 'write', data);
      if (r.ok) s++;
    }
    return s;
  };
  return {
    name,
    batch,
    setup: () => void m.access(ctx, va, 8, 'read'),
    validate() {
      const r = m.access(ctx, va + 64, 8, 'write', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      if (!r.ok || !r.tlbHit || r.stale) fail(name, `expected a TLB hit, got ${JSON.stringify(r)}`);
      if (batch(4) !== 4) fail(name, 'writes failed');
    },
  };
}

/** The same write after invlpg dropped the entry: TLB miss, page walk, TLB fill. */
function walk(): BenchTask {
  const name = 'access: invlpg + walk, 8-byte write';
  const { m, ctx, va } = world();
  const data = new Uint8Array(8);
  const cpu = ctx.cpu;
  const batch = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      m.flushLocalPage(cpu, va);
      const r = m.access(ctx, va + ((i & 511) << 3), 8, 'write', data);
      if (r.ok) s++;
    }
    return s;
  };
  return {
    name,
    batch,
    validate() {
      const misses = m.ledger.counters.tlbMisses;
      m.flushLocalPage(cpu, va);
      const r = m.access(ctx, va, 8, 'write', data);
      if (!r.ok || r.tlbHit) fail(name, `expected a walk, got ${JSON.stringify(r)}`);
      if (batch(8) !== 8 || m.ledger.counters.tlbMisses !== misses + 9) fail(name, 'every access must miss');
    },
  };
}

/** vmap-style map and unmap of one page: VA alloc, PTE set, PTE clear, VA free (no flush). */
function mapUnmap(): BenchTask {
  const name = 'map+unmap one vmalloc page';
  const m = new Machine({ cpus: 4 });
  const vm = m.createMm('vm');
  const page = m.mem.alloc(1, vm.id, 'secret');
  m.removeFromDirectMap(page.pfn);
  const pfn = page.pfn;
  const batch = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const va = m.vmalloc.alloc(PAGE_SIZE);
      m.mapGlobal(va, pfn);
      if (m.unmapGlobal(va) !== undefined) s++;
      m.vmalloc.free(va, PAGE_SIZE);
    }
    return s;
  };
  return {
    name,
    batch,
    validate() {
      const va = m.vmalloc.alloc(PAGE_SIZE);
      m.mapGlobal(va, pfn);
      const exposed = m.oracle.figures().exposedNow;
      if (m.translate(m.cpu(1), va)?.pfn !== pfn || exposed !== 1) fail(name, 'map did not take effect');
      m.unmapGlobal(va);
      m.vmalloc.free(va, PAGE_SIZE);
      if (batch(8) !== 8) fail(name, 'unmap found no PTE');
      const c = m.ledger.counters;
      if (c.vaBytes !== 0 || m.oracle.figures().exposedNow !== 0 || m.kernelPt.size !== 0) {
        fail(name, 'state leaked across map+unmap');
      }
    },
  };
}

/** Hot paths of the machine model, against a Map lookup + DataView write. */
export const memoryCoreSuite: SuiteDefinition = {
  name: 'memory-core',
  baseline: mapDataViewBaseline(),
  tasks: [tlbHit(), walk(), mapUnmap()],
};
