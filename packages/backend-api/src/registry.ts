import type { Machine } from '@khva/memory-core';
import type { MappingBackend } from './backend.ts';
import { BACKEND_SPEC_VERSION, type BackendFactory } from './factory.ts';

/** Asked for a backend name nobody registered; the message lists the known names. */
export class UnknownBackendError extends Error {
  override readonly name = 'UnknownBackendError';
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
  ) {
    super(`unknown backend "${requested}"; known backends: ${known.join(', ')}`);
  }
}

/**
 * Backends by the name configuration uses. The edge of an application (its CLI) resolves a name
 * here once and hands the factory object on; a third party registers its own factory the same
 * way, without touching our packages.
 */
export class BackendRegistry {
  private readonly factories = new Map<string, BackendFactory<object>>();

  constructor(factories: Iterable<BackendFactory<object>> = []) {
    for (const f of factories) this.register(f);
  }

  register(factory: BackendFactory<object>): this {
    if (!/^[a-z][a-z0-9-]*$/.test(factory.name)) {
      throw new TypeError(`backend name "${factory.name}" must be lowercase letters, digits and dashes`);
    }
    if (factory.specVersion !== BACKEND_SPEC_VERSION) {
      throw new TypeError(
        `backend "${factory.name}" has specVersion ${String(factory.specVersion)}; this registry takes ${BACKEND_SPEC_VERSION} (define it with defineBackend from @khva/backend-api)`,
      );
    }
    if (this.factories.has(factory.name))
      throw new TypeError(`backend "${factory.name}" is already registered`);
    this.factories.set(factory.name, factory);
    return this;
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  get(name: string): BackendFactory<object> {
    const f = this.factories.get(name);
    if (!f) throw new UnknownBackendError(name, this.names());
    return f;
  }

  create(name: string, machine: Machine, options?: Record<string, unknown>): MappingBackend {
    return this.get(name).create(machine, options);
  }
}
