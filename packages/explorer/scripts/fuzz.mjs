#!/usr/bin/env node
// Large fast-check runs against the built packages (run `pnpm build` first):
//   node scripts/fuzz.mjs [--runs N] [--seed S] [--backends a,b] [--max-ops N] [--out DIR] [--ignore check,check]
// Fuzzes the real gfn_to_pfn_cache on every backend of @khva/backends, prints sequences per second,
// and for a failing backend the shrunk sequence as a trace and a replayable scenario file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDefaultRegistry } from '@khva/backends';
import { fuzz } from '@khva/explorer';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    backends: { type: 'string' },
    'max-ops': { type: 'string', default: '8' },
    out: { type: 'string', default: 'fuzz-output' },
    ignore: { type: 'string' },
  },
});
const registry = createDefaultRegistry();
const backends = values.backends ? values.backends.split(',') : registry.names();
const numRuns = Number(values.runs);
const seed = Number(values.seed);
const maxOps = Number(values['max-ops']);
const ignore = values.ignore ? values.ignore.split(',') : [];
console.log(
  `fuzzing ${backends.join(', ')}: ${numRuns} sequences each, seed ${seed}, up to ${maxOps} ops${ignore.length ? `, not reporting ${ignore.join(', ')}` : ''}`,
);
let failures = 0;
let total = 0;
let totalMs = 0;
for (const backend of backends) {
  const [r] = fuzz({ registry, backends: [backend], numRuns, seed, maxOps, ignore });
  total += r.numRuns;
  totalMs += r.wallMs;
  const rate = Math.round((r.numRuns / r.wallMs) * 1000);
  console.log(
    `${backend.padEnd(18)} ${String(r.numRuns).padStart(7)} sequences  ${(r.wallMs / 1000).toFixed(1).padStart(6)} s  ${String(rate).padStart(6)} seq/s  ${r.failed ? 'FAILED' : 'ok'}`,
  );
  if (r.failure) {
    failures++;
    const cx = r.failure.counterexample;
    mkdirSync(values.out, { recursive: true });
    const file = join(values.out, `fuzz-${backend}-seed${seed}.yaml`);
    writeFileSync(file, cx.yaml);
    console.log(
      `  shrunk ${r.failure.shrinks} times to ${r.failure.case.ops.length} ops, ${cx.events.length} steps; replay: khva-bench scenario ${file}`,
    );
    console.log(cx.trace.replace(/^/gm, '  '));
  }
}
console.log(
  `${total} sequences in ${(totalMs / 1000).toFixed(1)} s: ${Math.round((total / totalMs) * 1000)} sequences/second`,
);
process.exit(failures > 0 ? 1 : 0);
