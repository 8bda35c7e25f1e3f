// `backendModules`: third-party backend modules a config names (package names or paths, paths relative to
// the config file). Each is imported once and every backend factory it exports joins the built-ins.
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BackendFactory, isBackendFactory } from '@khva/backend-api';
import { ConfigError } from './config-error.ts';

const isPath = (specifier: string) =>
  specifier.startsWith('./') || specifier.startsWith('../') || isAbsolute(specifier);

/**
 * Where `import()` finds a specifier written in the config at `configPath`: a file URL (what a sweep
 * hands its workers, resolved already) as it is, a path from the config's directory, or a package.
 */
export function backendModuleUrl(specifier: string, configPath: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isPath(specifier)) return pathToFileURL(resolve(dirname(configPath), specifier)).href;
  // A package name: resolved from the config's directory, as a dependency of the project it lives in.
  return pathToFileURL(createRequire(configPath).resolve(specifier)).href;
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * Imports the modules named in `backendModules` and returns their backend factories, in order. Throws a
 * ConfigError naming the specifier for a module that cannot be found or loaded, or exports no factory.
 */
export async function loadBackendModules(
  specifiers: unknown,
  configPath: string,
  source: string,
): Promise<BackendFactory<object>[]> {
  if (specifiers === undefined) return [];
  if (!Array.isArray(specifiers) || specifiers.some((s) => typeof s !== 'string' || s === '')) {
    throw new ConfigError(source, [
      { path: 'backendModules', message: 'expected a list of module specifiers (package names or paths)' },
    ]);
  }
  const out: BackendFactory<object>[] = [];
  for (const [i, specifier] of (specifiers as string[]).entries()) {
    const fail = (message: string) =>
      new ConfigError(source, [{ path: `backendModules[${i}]`, message: `"${specifier}": ${message}` }]);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(backendModuleUrl(specifier, configPath))) as Record<string, unknown>;
    } catch (error) {
      throw fail(`cannot load the backend module (${reason(error)})`);
    }
    const found = [...new Set(Object.values(mod).filter(isBackendFactory))];
    if (found.length === 0) throw fail('the module exports no backend factory (made with defineBackend)');
    out.push(...found);
  }
  return out;
}
