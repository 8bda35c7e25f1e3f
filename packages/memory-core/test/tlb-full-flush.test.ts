import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, VMALLOC_START } from '../src/index.ts';
import { guestFrame, machine, on } from './helpers.ts';

describe('flush_tlb_kernel_range above the single-page ceiling (a full flush on every CPU)', () => {
  it('charges every online CPU and drops each TLB at the time the CPUs before it were charged', () => {
    const m = machine(8);
    m.cpu(1).online = false;
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = VMALLOC_START + 16 * PAGE_SIZE;
    m.mapGlobal(va, f.pfn);
    for (const id of [2, 5]) m.access(on(m, id), va, 8, 'write');
    m.unmapGlobal(va);
    expect(m.oracle.figures().staleNow).toBe(2);
    const stale0 = m.oracle.figures().staleTranslationNs;
    const row = m.calibration.get('flushAllGlobal');
    const before = m.ledger.byRow.get('flushAllGlobal') ?? 0;
    const r = m.flushTlbKernelRange(m.cpu(0), va, va + 40 * PAGE_SIZE);
    expect(r).toEqual({ fullFlush: true, ipis: 6 });
    expect((m.ledger.byRow.get('flushAllGlobal') ?? 0) - before).toBe(7 * row);
    expect(m.cpu(2).tlb.entries.size + m.cpu(5).tlb.entries.size).toBe(0);
    expect(m.oracle.figures().staleNow).toBe(0);
    // CPU 2 empties after one online CPU (0) was charged, CPU 5 after four (0, 2, 3, 4):
    // two stale entries for one row's time, then one for three more.
    const ns = row / m.calibration.ghz;
    expect(m.oracle.figures().staleTranslationNs - stale0).toBeCloseTo(2 * ns + 3 * ns, 6);
  });
});
