import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinBackendNames, createDefaultRegistry, loadBackendModules } from '../src/index.ts';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(pkg, 'examples', 'third-party-backend.mjs');
const backendModule = join(pkg, 'examples', 'kmap-restore.mjs');

describe('third-party backends', () => {
  it('are loaded by module specifier and registered next to the built-ins', async () => {
    const factories = await loadBackendModules([backendModule]);
    expect(factories.map((f) => f.name)).toEqual(['kmap-restore']);
    const registry = createDefaultRegistry(factories);
    expect(registry.names()).toEqual([...builtinBackendNames, 'kmap-restore']);
  });

  it('a module without a factory is refused with a clear message', async () => {
    await expect(loadBackendModules(['node:path'])).rejects.toThrow(/exports no backend factory/);
    await expect(loadBackendModules(['./nope.mjs'])).rejects.toThrow(/could not be loaded/);
  });

  it('the README example runs and prints what the README shows', () => {
    const out = execFileSync(process.execPath, [example], { cwd: pkg, encoding: 'utf8' });
    expect(out).toContain('kmap-restore');
    expect(out.trim().split('\n').slice(1)).toEqual([
      '1 vcpu0 activate: 0',
      '2 vcpu0 use: 0',
      '3 kworker use: 0',
      '4 irq1 use: 0',
      '5 vcpu0 deactivate: 0',
    ]);
  });
});
