import { BackendRegistry } from '@khva/backend-api';
import { Machine } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  MemremapBackend,
  memremapBackends,
  memremapRelaxedBackend,
  memremapStrictBackend,
} from '../src/index.ts';

describe('memremap factories', () => {
  it('register under the configuration names and create instances by name', () => {
    const registry = new BackendRegistry(memremapBackends);
    expect(registry.names()).toEqual(['memremap-strict', 'memremap-relaxed']);
    const m = new Machine({ cpus: 2 });
    const strict = registry.create('memremap-strict', m, { skipAbsent: true });
    expect(strict).toBeInstanceOf(MemremapBackend);
    expect(strict.name).toBe('memremap-strict');
    expect(registry.create('memremap-relaxed', m).name).toBe('memremap-relaxed');
  });

  it('reject unknown options and options of the wrong type, naming the known ones', () => {
    const m = new Machine({ cpus: 2 });
    expect(() => memremapStrictBackend.create(m, { skipabsent: true } as never)).toThrow(
      'memremap-strict: unknown option "skipabsent"; known options: skipAbsent',
    );
    expect(() => memremapStrictBackend.create(m, { skipAbsent: 'yes' } as never)).toThrow(
      /skipAbsent must be a boolean/,
    );
    expect(() => memremapRelaxedBackend.create(m, { skipAbsent: true } as never)).toThrow(
      /known options: nonLazyIounmap/,
    );
  });
});
