// Private test helper for the packages' README example tests (test/example.test.ts): not a
// package, not published; tests import it by relative path (../../../scripts/test-support/...).
// A README shows `examples/<file>` verbatim after a line naming it, then what it prints after a
// line ending in `prints:`; the test builds dist if stale, compares both, and runs the example
// with node against the built package, as a user of the published package would.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/** The package directory of a test file in `<package>/test/`: `packageDir(import.meta.url)`. */
export function packageDir(testFileUrl: string): string {
  return join(dirname(fileURLToPath(testFileUrl)), '..');
}

/** Newest modification time under a directory (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Build dist (and the packages it references) with `tsc -b` unless it is newer than every source file. */
export function ensureBuilt(pkgDir: string): void {
  const info = join(pkgDir, 'dist', '.tsbuildinfo');
  if (existsSync(info) && statSync(info).mtimeMs >= newest(join(pkgDir, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', pkgDir], { stdio: 'pipe' });
}

/** The package's README.md. */
export function readme(pkgDir: string): string {
  return readFileSync(join(pkgDir, 'README.md'), 'utf8');
}

/** The body of the first fenced block of `lang` after `marker` in the README (asserts the marker is there). */
export function readmeBlock(pkgDir: string, marker: string, lang: string): string {
  const text = readme(pkgDir);
  const at = text.indexOf(marker);
  expect(at, `README mentions ${marker}`).toBeGreaterThanOrEqual(0);
  const open = text.indexOf(`\`\`\`${lang}\n`, at);
  const start = open + lang.length + 4;
  return text.slice(start, text.indexOf('```\n', start));
}

/** The source of `examples/<file>`. */
export function readExample(pkgDir: string, file: string): string {
  return readFileSync(join(pkgDir, 'examples', file), 'utf8');
}

/** Run `examples/<file>` with node (from the package directory); what it printed on stdout. */
export function runExample(pkgDir: string, file: string): string {
  return execFileSync(process.execPath, [join(pkgDir, 'examples', file)], { cwd: pkgDir, encoding: 'utf8' });
}

/** The `files` list of the package's package.json (what npm publishes). */
export function publishedFiles(pkgDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { files: string[] };
  return manifest.files;
}

export interface ReadmeExampleOptions {
  /** More checks on what the example printed, inside the test that runs it. */
  readonly output?: (out: string) => void;
  /** Also test that package.json `files` ships the examples directory. */
  readonly shipsExamples?: boolean;
}

/**
 * The README example tests of the package whose test file calls it (pass `import.meta.url`):
 * `describe('README example')` building dist first if stale, then
 * - `is the same code as examples/<file>`: the js block after `` `examples/<file>` `` is the file;
 * - `runs with node against the built package and prints what the README shows`: its output is
 *   the text block after `prints:` (then `options.output(out)`);
 * - with `shipsExamples`: `ships the examples directory`.
 */
export function describeReadmeExample(
  testFileUrl: string,
  file: string,
  options: ReadmeExampleOptions = {},
): void {
  const pkg = packageDir(testFileUrl);
  describe('README example', () => {
    beforeAll(() => ensureBuilt(pkg), 120_000);

    it(`is the same code as examples/${file}`, () => {
      expect(readmeBlock(pkg, `\`examples/${file}\``, 'js')).toBe(readExample(pkg, file));
    });

    it('runs with node against the built package and prints what the README shows', () => {
      const out = runExample(pkg, file);
      expect(out).toBe(readmeBlock(pkg, 'prints:', 'text'));
      options.output?.(out);
    });

    if (options.shipsExamples) {
      it('ships the examples directory', () => {
        expect(publishedFiles(pkg)).toContain('examples');
      });
    }
  });
}

/**
 * The example tests of a package whose README shows `examples/<file>` and what it prints in a js
 * and a text block, without the marker lines `describeReadmeExample` looks for:
 * `describe('examples/<file> (against the built dist)')`, building dist first if stale, with
 * - `<what>`: the example runs with node against the built package; `check` its output;
 * - `is shown verbatim in the README, with the output it prints`.
 */
export function describeExampleShownVerbatim(
  testFileUrl: string,
  file: string,
  what: string,
  check: (out: string) => void,
): void {
  const pkg = packageDir(testFileUrl);
  describe(`examples/${file} (against the built dist)`, () => {
    beforeAll(() => ensureBuilt(pkg), 120_000);

    it(what, () => check(runExample(pkg, file)));

    it('is shown verbatim in the README, with the output it prints', () => {
      const text = readme(pkg);
      expect(text).toContain(`\`\`\`js\n${readExample(pkg, file)}\`\`\``);
      expect(text).toContain(`\`\`\`text\n${runExample(pkg, file).trimEnd()}\n\`\`\``);
    });
  });
}
