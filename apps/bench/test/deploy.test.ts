// The shipped ways to run a sweep on many machines, run here as they would run there: every pod command
// of deploy/kubernetes/sweep-job.yaml, parsed from the file, with JOB_COMPLETION_INDEX set per index and the
// merge Job after them, gives the sweep one machine writes; the GitHub workflow's matrix covers each shard.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { useTempDirs } from './fixtures/temp-dir.ts';
import { TINY_SWEEP_YAML } from './fixtures/tiny-sweep.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'apps/bench/bin/khva-bench.mjs');
const tempDir = useTempDirs();

interface Container {
  name: string;
  command: string[];
  env?: { name: string; value: string }[];
}
interface K8sDoc {
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    template: { spec: { containers: Container[]; initContainers?: Container[] } };
  };
}

function run(
  command: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = command;
    const child = spawn(file as string, args, {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

describe('deploy/', () => {
  it('the Indexed Job shards and the merge Job give the one-machine sweep, byte for byte', async () => {
    const docs = parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes/sweep-job.yaml'), 'utf8')).map(
      (d) => d.toJS() as K8sDoc,
    );
    const jobs = docs.filter((d) => d.kind === 'Job');
    const indexed = jobs.find((j) => j.spec.completionMode === 'Indexed');
    const merge = jobs.find((j) => j !== indexed);
    if (indexed === undefined || merge === undefined)
      throw new Error('expected an Indexed Job and a merge Job');
    const shard = indexed.spec.template.spec.containers[0] as Container;
    const completions = indexed.spec.completions ?? 0;
    expect(envOf(shard).SHARDS).toBe(String(completions));

    const dir = tempDir();
    const config = join(dir, 'tiny.yaml');
    writeFileSync(config, TINY_SWEEP_YAML);
    // The cluster's volume and sweep file, replaced by a temporary directory and the tiny sweep.
    const local = { RESULTS: join(dir, 'results'), SWEEP_CONFIG: config };
    const [one, ...shards] = await Promise.all([
      run(['node', bin, 'sweep', '--config', config, '--out', join(dir, 'one'), '--quiet'], {}),
      ...Array.from({ length: completions }, (_, i) =>
        run(shard.command, { ...envOf(shard), ...local, JOB_COMPLETION_INDEX: String(i) }),
      ),
    ]);
    for (const r of [one, ...shards]) expect(r.stderr).toBe('');
    expect([one, ...shards].map((r) => r.code)).toEqual(Array(completions + 1).fill(0));

    for (const c of [
      ...(merge.spec.template.spec.initContainers ?? []),
      ...merge.spec.template.spec.containers,
    ]) {
      const r = await run(c.command, { ...envOf(c), ...local });
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(0);
    }
    for (const name of ['sweep.json', 'sweep.csv', 'sweep.md', 'sweep.html']) {
      expect(readFileSync(join(local.RESULTS, 'merged', name), 'utf8'), name).toBe(
        readFileSync(join(dir, 'one', name), 'utf8'),
      );
    }
  }, 120_000);

  it('the GitHub workflow runs every shard of SHARDS in its matrix, then merges them', () => {
    const flow = parseYaml(readFileSync(join(root, '.github/workflows/sweep.yml'), 'utf8')) as {
      env: { SHARDS: string };
      jobs: {
        shard: { strategy: { matrix: { shard: number[] } }; steps: { name?: string; run?: string }[] };
        merge: { needs: string; steps: { name?: string; run?: string }[] };
      };
    };
    const shards = flow.jobs.shard.strategy.matrix.shard;
    expect(shards).toEqual(Array.from({ length: Number(flow.env.SHARDS) }, (_, i) => i + 1));
    const sweep = flow.jobs.shard.steps.find((s) => s.name === 'sweep')?.run ?? '';
    // GitHub's expression syntax, spelt out so it is not read as a template literal.
    const matrixShard = ['$', '{{ matrix.shard }}'].join('');
    expect(sweep).toContain(`--shard "${matrixShard}/$SHARDS"`);
    expect(sweep).toContain(`--out "shard-${matrixShard}"`);
    expect(flow.jobs.merge.needs).toBe('shard');
    expect(flow.jobs.merge.steps.find((s) => s.name === 'merge')?.run).toBe(
      'node apps/bench/bin/khva-bench.mjs merge shard-* --out sweep',
    );
  });
});
