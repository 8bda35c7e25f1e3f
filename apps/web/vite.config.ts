// The playground's build: a static folder (dist/) any web server can serve. The model runs in a module
// worker. Workspace packages resolve to their TypeScript sources (the `@khva/source` condition). A Node-only
// import anywhere in what the bundle needs fails the build: no polyfills, no empty stand-ins.
import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

const NODE_ONLY = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails the build when anything the browser bundle reaches imports a Node built-in module. */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'khva:no-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || NODE_ONLY.has(id)) {
        this.error(
          `Node-only import "${id}" from ${importer ?? '(entry)'}: the browser bundle must not need it; ` +
            'move file or process access to the edge (a Node-only subpath or the CLI)',
        );
      }
      return null;
    },
  };
}

export default defineConfig({
  base: './',
  resolve: { conditions: ['@khva/source', 'browser', 'module', 'import', 'default'] },
  plugins: [noNodeBuiltins()],
  worker: { format: 'es', plugins: () => [noNodeBuiltins()] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  preview: { port: 4173, strictPort: false },
});
