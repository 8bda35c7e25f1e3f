// The model packages run in a browser: no module of their src may import a Node built-in or use a
// Node-only global, except the declared file-access edges, which only Node-only subpaths export.
// (The playground's Vite build fails on a Node import in anything it bundles; this catches the rest.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = join(ROOT, 'packages');

/** File-access edges, each exported only by a subpath named for it. */
const NODE_EDGES: Record<string, string> = {
  'packages/host/src/scenario/file.ts': './scenario/file',
  'packages/explorer/src/file.ts': './file',
};

const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const GLOBALS = /\b(process\.|Buffer\.|setImmediate\(|__dirname|__filename|require\()/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Node-only things a source file uses: imported built-ins and Node globals. */
export function nodeOnlyUses(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? '';
    if (spec.startsWith('node:') || builtins.has(spec.split('/')[0] ?? '')) out.push(`import ${spec}`);
  }
  const code = text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
  const g = GLOBALS.exec(code);
  if (g) out.push(`global ${g[1]}`);
  return out;
}

describe('model packages are browser-safe', () => {
  const files = readdirSync(PACKAGES).flatMap((p) => {
    const src = join(PACKAGES, p, 'src');
    try {
      return sources(src);
    } catch {
      return [];
    }
  });

  it('finds the model sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('no src module imports a Node built-in or uses a Node global, outside the declared edges', () => {
    const found = files
      .map((f) => ({ file: relative(ROOT, f), uses: nodeOnlyUses(readFileSync(f, 'utf8')) }))
      .filter((x) => x.uses.length > 0 && !(x.file in NODE_EDGES));
    expect(found).toEqual([]);
  });

  it('each edge is exported only by its Node-only subpath, never by the main entry', () => {
    for (const [file, subpath] of Object.entries(NODE_EDGES)) {
      const pkgDir = join(ROOT, file.split('/src/')[0] ?? '');
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string> | string>;
      };
      const target = pkg.exports[subpath];
      expect(typeof target === 'object' ? target['@khva/source'] : target).toBe(
        `./${relative(pkgDir, join(ROOT, file))}`,
      );
      for (const [key, entry] of Object.entries(pkg.exports)) {
        if (key === subpath || typeof entry !== 'object' || entry['@khva/source'] === undefined) continue;
        const text = readFileSync(join(pkgDir, entry['@khva/source']), 'utf8');
        expect(text, `${key} re-exports the edge`).not.toMatch(
          new RegExp(
            `from '\\./${file
              .replace(/^.*\/src\/(.*)\.ts$/, '$1')
              .split('/')
              .pop()}\\.ts'`,
          ),
        );
      }
    }
  });

  it('the scan itself sees Node imports and globals', () => {
    expect(nodeOnlyUses("import { readFileSync } from 'node:fs';")).toEqual(['import node:fs']);
    expect(nodeOnlyUses("import { join } from 'path';")).toEqual(['import path']);
    expect(nodeOnlyUses('const t = setImmediate(f);')).toEqual(['global setImmediate(']);
    expect(nodeOnlyUses("import { z } from 'zod';\n// process.exit is mentioned only here")).toEqual([]);
  });
});
