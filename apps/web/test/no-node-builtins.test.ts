// The build's guard: resolving a Node built-in from anything the bundle reaches is a build error.
import { describe, expect, it } from 'vitest';
import { noNodeBuiltins } from '../vite.config.ts';

type Resolve = (this: { error(message: string): never }, id: string, importer?: string) => unknown;

function resolveWith(id: string): unknown {
  const hook = noNodeBuiltins().resolveId as unknown as Resolve;
  const ctx = {
    error(message: string): never {
      throw new Error(message);
    },
  };
  return hook.call(ctx, id, '/repo/packages/x/src/a.ts');
}

describe('noNodeBuiltins', () => {
  it('fails on node: and bare built-in specifiers, naming the importer', () => {
    expect(() => resolveWith('node:fs')).toThrow('Node-only import "node:fs" from /repo/packages/x/src/a.ts');
    expect(() => resolveWith('worker_threads')).toThrow('Node-only import "worker_threads"');
    expect(() => resolveWith('path')).toThrow('Node-only import "path"');
  });

  it('leaves everything else to the normal resolution', () => {
    expect(resolveWith('yaml')).toBeNull();
    expect(resolveWith('@khva/host/scenario')).toBeNull();
    expect(resolveWith('./worker.ts')).toBeNull();
  });
});
