// The scenario format lives here, so the gpc package needs no YAML or schema library; and the
// scenario module (bundled for the browser) reaches Node only through ./scenario/file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const json = (rel: string) =>
  JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

describe('package boundaries', () => {
  it('@khva/pfncache depends on neither yaml nor zod, and exports no scenario module', () => {
    const pkg = json('../../pfncache/package.json');
    const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies };
    expect(Object.keys(deps)).not.toContain('yaml');
    expect(Object.keys(deps)).not.toContain('zod');
    expect(Object.keys(pkg.exports ?? {}).filter((k) => k.includes('scenario'))).toEqual([]);
  });

  it('@khva/host carries them, with file access only in ./scenario/file', () => {
    const pkg = json('../package.json');
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(['yaml', 'zod']);
    for (const f of [
      'host.ts',
      'observe.ts',
      'scenario/parse.ts',
      'scenario/runner.ts',
      'scenario/schema.ts',
    ]) {
      const text = readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');
      expect(text, f).not.toMatch(/from 'node:/);
    }
    expect(readFileSync(new URL('../src/scenario/file.ts', import.meta.url), 'utf8')).toMatch(
      /from 'node:fs'/,
    );
  });
});
