// Every backend package exports its factory under one pattern: the configured name in camel case
// plus `Backend` (`mm-local` -> `mmLocalBackend`), so an import can be written from the name alone.
import * as directMap from '@khva/backend-direct-map';
import * as ephmap from '@khva/backend-ephmap';
import * as memremap from '@khva/backend-memremap';
import * as mmLocal from '@khva/backend-mm-local';
import * as restore from '@khva/backend-restore';
import * as vmap from '@khva/backend-vmap';
import { describe, expect, it } from 'vitest';
import { builtinBackends } from '../src/index.ts';

const exportName = (name: string): string =>
  `${name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Backend`;

describe('backend factory exports are named alike', () => {
  const modules: Record<string, unknown>[] = [directMap, vmap, memremap, mmLocal, ephmap, restore];
  it.each(builtinBackends.map((f) => [f.name, f] as const))(
    '%s is exported as <camelCase>Backend',
    (name, f) => {
      const key = exportName(name);
      const owners = modules.filter((m) => m[key] === f);
      expect(owners).toHaveLength(1);
    },
  );

  it('no package exports a factory under another name', () => {
    for (const m of modules) {
      for (const [key, value] of Object.entries(m)) {
        const f = builtinBackends.find((b) => b === value);
        if (f) expect(key).toBe(exportName(f.name));
      }
    }
  });
});
