// The import graph's two rules, checked over every workspace package's files: a package imports another
// only through that package's `exports` (never a file by relative path, never an unexported subpath) and
// only when it declares it in package.json; and no cycle, neither among the packages' declared runtime
// dependencies nor among what their `src/` imports. Exits 1 naming each offending import or cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((n) => join(root, d, n)));
dirs.push(join(root, 'bench'));

const packages = new Map(); // name -> { dir, exports, deps, runtimeDeps }
for (const dir of dirs) {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  const exportsKeys =
    typeof pkg.exports === 'object' && pkg.exports !== null ? Object.keys(pkg.exports) : ['.'];
  const runtime = { ...pkg.dependencies, ...pkg.peerDependencies };
  packages.set(pkg.name, {
    dir,
    exports: new Set(exportsKeys),
    deps: new Set(Object.keys({ ...runtime, ...pkg.devDependencies })),
    runtimeDeps: new Set(Object.keys(runtime).filter((n) => n.startsWith('@khva/'))),
  });
}

const SOURCE = /\.(ts|mts|mjs|js)$/;
function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
const problems = [];
const srcGraph = new Map([...packages.keys()].map((n) => [n, new Set()]));
const owner = (file) => [...packages].find(([, p]) => file.startsWith(p.dir + sep))?.[0];

for (const [name, pkg] of packages) {
  for (const file of files(pkg.dir)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const other = owner(target);
        if (other !== undefined && other !== name) {
          problems.push(`${where}: imports ${spec}, a file of ${other}; import ${other} through its exports`);
        }
        continue;
      }
      const m = /^(@khva\/[^/]+)(?:\/(.*))?$/.exec(spec);
      if (!m) continue;
      const [, dep, sub] = m;
      const target = packages.get(dep);
      if (!target) continue;
      if (!target.exports.has(sub === undefined ? '.' : `./${sub}`)) {
        problems.push(`${where}: imports ${spec}, which ${dep} does not export`);
      }
      if (dep !== name && !pkg.deps.has(dep)) {
        problems.push(`${where}: imports ${dep}, which ${name}'s package.json does not declare`);
      }
      if (dep !== name && file.startsWith(join(pkg.dir, 'src') + sep)) srcGraph.get(name).add(dep);
    }
  }
}

/** Every cycle found by a depth-first walk, as `a -> b -> a`. */
function cycles(graph) {
  const out = [];
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') out.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return out;
}

const declared = new Map([...packages].map(([n, p]) => [n, p.runtimeDeps]));
for (const c of cycles(declared)) problems.push(`dependency cycle in package.json: ${c}`);
for (const c of cycles(srcGraph)) problems.push(`import cycle between packages' src: ${c}`);

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`check-imports: ${p}\n`);
  process.exit(1);
}
process.stdout.write(`check-imports: ${packages.size} packages, no private import, no cycle\n`);
