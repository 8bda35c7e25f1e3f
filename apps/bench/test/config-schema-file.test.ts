import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH } from '../src/config/default-config.ts';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../src/config/json-schema.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { defaultRegistry } from '../src/registry.ts';

describe('published config schema', () => {
  it(`${CONFIG_SCHEMA_FILE} is up to date (regenerate with \`pnpm --filter @khva/bench build\`)`, () => {
    const committed: unknown = JSON.parse(
      readFileSync(new URL(`../${CONFIG_SCHEMA_FILE}`, import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(configJsonSchema(defaultRegistry));
  });

  it('describes every workload and backend the registry knows', () => {
    const schema = configJsonSchema(defaultRegistry) as {
      properties: {
        workloads: { properties?: Record<string, unknown> };
        backends: { items: { enum?: string[] } };
      };
    };
    expect(Object.keys(schema.properties.workloads.properties ?? {})).toEqual(
      defaultRegistry.workloads.names(),
    );
    if (defaultRegistry.backends.names().length > 0) {
      expect(schema.properties.backends.items.enum).toEqual(defaultRegistry.backends.names());
    }
  });

  it('the shipped default config is valid for the shipped registry', async () => {
    const config = await loadConfigFile(DEFAULT_CONFIG_PATH, defaultRegistry);
    expect(config.backends.length).toBeGreaterThan(0);
  });
});
