// Scenario files on disk: the Node-only edge of the scenario module (`@khva/host/scenario/file`),
// kept apart so that `@khva/host/scenario` runs in a browser.
import { readFileSync } from 'node:fs';
import { parseScenario, ScenarioError } from './parse.ts';
import { type RunScenarioOptions, runScenario, type ScenarioRun } from './runner.ts';
import type { Scenario } from './schema.ts';

/** Read and validate a scenario file. Throws ScenarioError for an unreadable or invalid file. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(path, [`cannot read the file: ${(e as Error).message}`]);
  }
  return parseScenario(text, path);
}

/** Load, validate and run a scenario file. Throws ScenarioError for an invalid file. */
export function runScenarioFile(path: string, options: RunScenarioOptions): ScenarioRun {
  return runScenario(loadScenarioFile(path), options);
}
