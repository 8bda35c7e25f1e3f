import { Machine } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_SPEC_VERSION,
  type BackendFactory,
  BackendRegistry,
  checkBackendOptions,
  defineBackend,
  globalTraits,
  isBackendFactory,
  UnknownBackendError,
} from '../src/index.ts';

const traits = globalTraits();

const make = (name: string) =>
  defineBackend({
    name,
    summary: 'test',
    traits,
    defaults: { depth: 1 },
    create(machine: Machine, options?: Partial<{ depth: number }>) {
      checkBackendOptions(name, ['depth'], options);
      return {
        name,
        traits,
        map: (_mc, pfn) => ({ ok: true, khva: machine.pageAddress(pfn) }),
        unmap: () => {},
        reachable: () => true,
      };
    },
  });

describe('BackendRegistry', () => {
  it('resolves a registered name to its factory and creates the backend', () => {
    const a = make('alpha');
    const r = new BackendRegistry([a, make('beta')]);
    expect(r.names()).toEqual(['alpha', 'beta']);
    expect(r.get('alpha')).toBe(a);
    expect(r.create('beta', new Machine({ cpus: 1 })).name).toBe('beta');
  });

  it('names the unknown backend and every known one', () => {
    const r = new BackendRegistry([make('alpha')]);
    const e = (() => {
      try {
        r.get('alpah');
      } catch (x) {
        return x;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(UnknownBackendError);
    expect((e as UnknownBackendError).requested).toBe('alpah');
    expect((e as Error).message).toBe('unknown backend "alpah"; known backends: alpha');
  });

  it('refuses duplicate names, bad names and factories of another interface version', () => {
    const r = new BackendRegistry([make('alpha')]);
    expect(() => r.register(make('alpha'))).toThrow('backend "alpha" is already registered');
    expect(() => r.register(make('Alpha'))).toThrow('must be lowercase letters, digits and dashes');
    const future = { ...make('gamma'), specVersion: 2 } as unknown as BackendFactory<object>;
    expect(() => r.register(future)).toThrow(
      `has specVersion 2; this registry takes ${BACKEND_SPEC_VERSION}`,
    );
    expect(r.names()).toEqual(['alpha']);
  });
});

describe('defineBackend and the option check', () => {
  it('stamps the interface version without changing what the author wrote', () => {
    const f = make('alpha');
    expect(f.specVersion).toBe(BACKEND_SPEC_VERSION);
    expect(f.defaults).toEqual({ depth: 1 });
    expect(isBackendFactory(f)).toBe(true);
    expect(isBackendFactory({ name: 'x', create: () => null })).toBe(false);
  });

  it('refuses an unknown option, naming it and the known ones', () => {
    expect(() => make('alpha').create(new Machine({ cpus: 1 }), { depht: 2 } as never)).toThrow(
      'alpha: unknown option "depht"; known options: depth',
    );
    expect(() => checkBackendOptions('none', [], { x: 1 })).toThrow(
      'none: unknown option "x"; it takes no options',
    );
  });
});
