import { type BackendTraits, globalTraits } from '@khva/backend-api';
import { describe, expect, it } from 'vitest';
import { applicableSuites, chooseSuites } from '../src/index.ts';

const global: BackendTraits = globalTraits({ lazyFlush: true });
const perAccess: BackendTraits = {
  ...global,
  kind: 'per-access',
  usableFromIrq: false,
  needsReachGuard: true,
};
const mmLocal: BackendTraits = {
  ...global,
  kind: 'mm-local',
  usableFromForeignMm: false,
  needsReachGuard: true,
};

describe('contract suites chosen from traits', () => {
  it('a stable backend gets the stable-mapping suite, a per-access one the per-access suite', () => {
    expect(applicableSuites(global)).toEqual(['stable-mapping', 'gpc-round', 'leaks']);
    expect(applicableSuites(mmLocal)).toEqual(['stable-mapping', 'gpc-round', 'leaks']);
    expect(applicableSuites(perAccess)).toEqual(['per-access', 'gpc-round', 'leaks']);
  });

  it('a suite asked for that does not apply is an error naming it, not a skipped test', () => {
    expect(chooseSuites('vmap', global, ['gpc-round'])).toEqual(['gpc-round']);
    expect(() => chooseSuites('vmap', global, ['per-access'])).toThrow(
      'vmap: contract suite "per-access" does not apply to kind=global (applicable: stable-mapping, gpc-round, leaks)',
    );
  });
});
