import { describe, expect, it } from 'vitest';
import * as pfncache from '../src/index.ts';

describe('@khva/pfncache exports', () => {
  it('the gpc, its use path and invariants, but not the backend interface (that is @khva/backend-api)', () => {
    expect(Object.keys(pfncache)).toContain('GfnToPfnCache');
    expect(Object.keys(pfncache)).toContain('gpcUse');
    for (const name of ['BackendRegistry', 'UnknownBackendError', 'defineBackend', 'checkBackendOptions']) {
      expect(Object.keys(pfncache), name).not.toContain(name);
    }
  });
});
