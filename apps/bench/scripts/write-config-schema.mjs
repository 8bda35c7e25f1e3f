// Build step: writes schema/khva-bench.config.schema.json from the built registry and
// schema/khva.sweep.v1.schema.json (sweep.json's shape) (run after `tsc -b`), then lets Biome format them
// so the committed files pass `biome check`. test/config-schema-file.test.ts and test/sweep.test.ts fail
// when a committed file no longer matches its schema.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA_FILE, renderConfigJsonSchema } from '../dist/config/json-schema.js';
import { defaultRegistry } from '../dist/registry.js';
import { renderSweepJsonSchema, SWEEP_SCHEMA_FILE } from '../dist/sweep/sweep-schema.js';

const file = fileURLToPath(new URL(`../${CONFIG_SCHEMA_FILE}`, import.meta.url));
writeFileSync(file, renderConfigJsonSchema(defaultRegistry));
const sweepFile = fileURLToPath(new URL(`../${SWEEP_SCHEMA_FILE}`, import.meta.url));
writeFileSync(sweepFile, renderSweepJsonSchema());

let biome;
try {
  biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
} catch {
  biome = undefined; // outside the monorepo: leave the file as JSON.stringify wrote it
}
if (biome !== undefined) {
  const r = spawnSync(process.execPath, [biome, 'format', '--write', file, sweepFile], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    process.exit(r.status ?? 1);
  }
}
