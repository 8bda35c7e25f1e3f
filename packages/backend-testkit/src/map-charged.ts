import type { MappingBackend, MapResult } from '@khva/backend-api';
import type { Pfn, SimThread } from '@khva/memory-core';
import type { ContextName, TestWorld } from './world.ts';

/** What one backend.map() returned, and the cycles it charged by calibration row (rows it left alone absent). */
export interface ChargedMap {
  readonly result: MapResult;
  readonly cost: Record<string, number>;
}

/**
 * Map a page through the backend alone, as the gpc's refresh would from thread `from` (default the
 * vCPU), and return the result with what it cost: the usual first step of a backend's own tests.
 */
export function mapCharged(
  w: TestWorld,
  backend: MappingBackend,
  pfn: Pfn,
  from: SimThread | ContextName = 'vcpu',
): ChargedMap {
  const mc = w.mapContext(from);
  let result: MapResult | undefined;
  const cost = w.charged(() => {
    result = backend.map(mc, pfn);
  });
  if (result === undefined) throw new Error('mapCharged: map() returned nothing');
  return { result, cost };
}
