// kernel.series: mainline has no guest_memfd path; RFC v1 sends every gmem-bound slot to
// kvm_gmem_get_pfn and vmaps per memslot; RFC v3 only gmem-only slots or private gfns, per folio.

import type { Scenario } from '@khva/host/scenario';
import { runScenario } from '@khva/host/scenario';
import { parseVa, regionOf } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { explore } from '../src/index.ts';
import { load, pfncacheScenario, registry } from './support/world.ts';

const series = (s: Scenario, name: Scenario['kernel']['series']): Scenario => ({
  ...s,
  kernel: { ...s.kernel, series: name },
});

describe('kernel.series', () => {
  it('mainline: caches on a gmem-only slot and on a NO_DIRECT_MAP slot fail; RFC v3 serves both', () => {
    const s = load(pfncacheScenario('mainline-kvmclock-on-gmem'));
    const mainline = runScenario(s, { registry });
    expect(mainline.ok, mainline.failure?.message).toBe(true);
    // The same steps without their (mainline) expectations, on RFC v3.
    const steps = s.steps.map(({ expect: _, ...step }) => step);
    const v3 = runScenario({ ...series(s, 'rfc-v3'), steps }, { registry, backend: 'vmap' });
    expect(v3.trace.slice(0, 3).map((t) => t.result)).toEqual([0, 0, 0]);
    expect(explore(s, { registry }).counterexample).toBeUndefined();
  });

  it('RFC v1 caches the file folio of a shared gfn and vmaps it; RFC v3 GUPs the VMM page and kmaps it', () => {
    const s = load(pfncacheScenario('rfc-v1-shared-gfn'));
    const ran = (name: Scenario['kernel']['series']) => {
      const r = runScenario(series(s, name), { registry });
      expect(r.ok, r.failure?.message).toBe(true);
      return r.trace[0]!;
    };
    // The file's folio is out of the direct map (vmap); the VMM's anonymous page is not (kmap).
    expect(regionOf(parseVa(ran('rfc-v1').khva ?? '0'))).toBe('vmalloc');
    expect(regionOf(parseVa(ran('rfc-v3').khva ?? '0'))).toBe('direct-map');
  });
});
