import type { BackendTraits, MappingBackend } from '@khva/backend-api';
import { type AccessOutcome, type Pfn, regionOf, type Va } from '@khva/memory-core';
import type { ContextName, TestWorld, WorldSnapshot } from './world.ts';

/** Every context the contract probes, in the order it probes them. */
export const CONTEXTS: readonly ContextName[] = ['vcpu', 'vmm', 'kthread', 'other', 'irq'];

export const CONTEXT_LABELS: Readonly<Record<ContextName, string>> = {
  vcpu: 'a vCPU thread (VM mm)',
  vmm: 'a VMM thread (VM mm)',
  kthread: 'a kthread borrowing the VM mm',
  other: 'an unrelated process (foreign mm)',
  irq: 'a hard IRQ on a CPU running another mm',
};

/**
 * What a page absent from the direct map gets from map():
 * - usable: a working address (vmap, mm-local, memremap-relaxed...);
 * - dead-address: its direct-map alias, which oopses on first use (direct-map, memremap-strict);
 * - refused: a {ok:false, errno} result (memremap-strict with skipAbsent; needs mayRefuseRam).
 */
export type NoDirectMapExpectation = 'usable' | 'dead-address' | 'refused';

/** Whether the traits promise that a stable backend's khva works from a context. */
export function promisedUsable(traits: BackendTraits, context: ContextName): boolean {
  switch (context) {
    case 'vcpu':
    case 'vmm':
    case 'kthread':
      return true;
    case 'other':
      return traits.usableFromForeignMm;
    case 'irq':
      return traits.usableFromIrq && traits.usableFromForeignMm;
  }
}

/** The trait(s) a context's expectation comes from, for test titles. */
export function traitFor(traits: BackendTraits, context: ContextName): string {
  switch (context) {
    case 'vcpu':
    case 'vmm':
    case 'kthread':
      return `kind=${traits.kind}`;
    case 'other':
      return `usableFromForeignMm=${traits.usableFromForeignMm}`;
    case 'irq':
      return `usableFromIrq=${traits.usableFromIrq} usableFromForeignMm=${traits.usableFromForeignMm}`;
  }
}

export interface ProbeResult {
  readonly context: ContextName;
  readonly outcome: AccessOutcome;
  /** backend.reachable() asked from the same context just before the access. */
  readonly reachable: boolean;
  /** The access reached the expected frame (ok and the pfn matches). */
  readonly usable: boolean;
  /** Oopses the access added. */
  readonly oopses: number;
}

/** Read 8 bytes at khva from one context; ask the backend whether it thought that would work. */
export function probe(
  world: TestWorld,
  backend: MappingBackend,
  khva: Va,
  pfn: Pfn,
  context: ContextName,
): ProbeResult {
  const ctx = world.enter(context);
  const reachable = backend.reachable(ctx, world.vm, khva);
  const before = world.machine.oopses.length;
  const outcome = world.machine.access(ctx, khva, 8, 'read');
  return {
    context,
    outcome,
    reachable,
    usable: outcome.ok && outcome.pfn === pfn,
    oopses: world.machine.oopses.length - before,
  };
}

/** Probe every context (the order fills TLBs on several CPUs, which later checks rely on). */
export function probeAll(world: TestWorld, backend: MappingBackend, khva: Va, pfn: Pfn): ProbeResult[] {
  return CONTEXTS.map((c) => probe(world, backend, khva, pfn, c));
}

/**
 * What a mapping left behind, compared with a snapshot taken before it was made: VA still
 * allocated, PTEs at khva or mapping pfn, CPUs still caching khva, exposure above the baseline
 * and stale translations. Empty means clean.
 */
export function leftovers(world: TestWorld, before: WorldSnapshot, khva: Va | null, pfn: Pfn): string[] {
  const now = world.snapshot();
  const out: string[] = [];
  if (now.vmallocBytes !== before.vmallocBytes) {
    out.push(`vmalloc VA in use: ${now.vmallocBytes} bytes, baseline ${before.vmallocBytes}`);
  }
  if (now.vaBytes !== before.vaBytes)
    out.push(`VA bytes (all ranges): ${now.vaBytes}, baseline ${before.vaBytes}`);
  if (now.kernelPtes !== before.kernelPtes)
    out.push(`global PTEs: ${now.kernelPtes}, baseline ${before.kernelPtes}`);
  if (now.localPtes !== before.localPtes)
    out.push(`mm-local PTEs: ${now.localPtes}, baseline ${before.localPtes}`);
  if (khva !== null && regionOf(khva) !== 'direct-map') {
    for (const p of world.ptesAt(khva)) out.push(`PTE left at khva (scope ${p.scope}) -> pfn ${p.pfn}`);
    const cpus = world.tlbHolders(khva);
    if (cpus.length > 0) out.push(`CPUs still caching khva: ${cpus.join(', ')}`);
  }
  const reach = world.machine.reachability(pfn);
  for (const p of reach.ptes)
    out.push(`kernel PTE still maps pfn ${pfn} (scope ${p.scope}, va ${p.va.toString(16)})`);
  const nonDirect = reach.tlb.filter((e) => regionOf(e.va) !== 'direct-map');
  for (const e of nonDirect) out.push(`cpu ${e.cpu} TLB still translates ${e.va.toString(16)} -> pfn ${pfn}`);
  if (now.exposedNow !== before.exposedNow)
    out.push(`oracle exposedNow ${now.exposedNow}, baseline ${before.exposedNow}`);
  if (now.foreignExposedNow !== before.foreignExposedNow) {
    out.push(`oracle foreignExposedNow ${now.foreignExposedNow}, baseline ${before.foreignExposedNow}`);
  }
  if (now.staleNow !== 0) out.push(`oracle staleNow ${now.staleNow}`);
  return out;
}
