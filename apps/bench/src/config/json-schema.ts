// The config schema as JSON Schema (draft 2020-12), so editors validate and complete config files.
import { z } from 'zod';
import type { BenchRegistry } from '../bench-registry.ts';
import { createConfigSchema } from './schema.ts';

/** Where the generated file lives, relative to apps/bench (written by `scripts/write-config-schema.mjs`). */
export const CONFIG_SCHEMA_FILE = 'schema/khva-bench.config.schema.json';

/** The JSON Schema of configs accepted with this registry (input side: fields with defaults are optional). */
export function configJsonSchema(registry: BenchRegistry): Record<string, unknown> {
  return z.toJSONSchema(createConfigSchema(registry), { io: 'input', target: 'draft-2020-12' });
}

/** The file's text: two-space JSON with a final newline (Biome may reflow it; tests compare parsed values). */
export function renderConfigJsonSchema(registry: BenchRegistry): string {
  return `${JSON.stringify(configJsonSchema(registry), null, 2)}\n`;
}
