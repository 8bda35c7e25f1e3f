import { Machine } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { builtinBackends } from '../src/index.ts';

describe('backend options', () => {
  for (const f of builtinBackends) {
    it(`${f.name} refuses an option it does not know, naming it and the known ones`, () => {
      // vmap's one option has no default (lazy_max_pages() is computed), so it is not in defaults.
      const known = f.name === 'vmap' ? ['lazyMaxPagesOverride'] : Object.keys(f.defaults);
      const expected = known.length === 0 ? 'it takes no options' : `known options: ${known.join(', ')}`;
      expect(() => f.create(new Machine({ cpus: 2 }), { bogus: true })).toThrow(
        `${f.name}: unknown option "bogus"; ${expected}`,
      );
    });
    it(`${f.name} is created with its defaults`, () => {
      expect(f.create(new Machine({ cpus: 2 }), f.defaults).name).toBe(f.name);
    });
  }
});
