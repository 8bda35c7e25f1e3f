import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'khva-pack-'));

/** pnpm, as the test command runs it (it rewrites workspace: ranges when packing). */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  if (execPath?.includes('pnpm'))
    return execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: 'utf8' });
  return execFileSync('npx', ['-y', 'pnpm@10.34.9', ...args], { cwd, encoding: 'utf8' });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('published alone', () => {
  it('the packed tarballs of memory-core and kvm install into a fresh project and import', () => {
    const tarballs = join(work, 'tarballs');
    for (const name of ['memory-core', 'kvm']) {
      pnpm(['pack', '--pack-destination', tarballs], join(packages, name));
    }
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    expect(files).toHaveLength(2);
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'fresh', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', ...files.map((f) => join(tarballs, f))],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { Kvm } from '@khva/kvm'; const k = new Kvm({ machine: { cpus: 2 } }); const vm = k.createVm(); console.log(vm.name, k.machine.cpus.length);",
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('vm1 2');
  }, 120_000);
});
