import { createTestWorld, mapCharged } from '@khva/backend-testkit';
import { describe, expect, it } from 'vitest';
import { memremapRelaxedBackend, memremapStrictBackend } from '../src/index.ts';

// Both modes take try_ram_remap's path for a page still in the direct map: they differ only for
// pages absent from it (memremap-strict.test.ts, memremap-relaxed.test.ts).
describe.each([memremapStrictBackend, memremapRelaxedBackend])(
  '$name, a page in the direct map',
  (factory) => {
    it('gets its direct-map address for the price of one region_intersects walk, nothing mapped', () => {
      const w = createTestWorld({ cpus: 4 });
      const m = w.kvm.machine;
      const b = factory.create(m);
      const pfn = w.anonPfn(0);
      const { result: r, cost } = mapCharged(w, b, pfn);
      expect(r).toEqual({ ok: true, khva: m.pageAddress(pfn) });
      expect(cost).toEqual({ regionIntersects: m.calibration.get('regionIntersects') });
      expect(m.vmalloc.bytesInUse).toBe(0);
      expect(m.access(w.threads.irq.ctx, m.pageAddress(pfn), 8, 'write').ok).toBe(true);
      expect(b.stats?.()).toMatchObject({
        maps: 1,
        directMapAddresses: 1,
        deadAddresses: 0,
        ramRefusedWarnings: 0,
      });
    });
  },
);
