export type { StepDeltas } from '../observe.ts';
export { parseScenario, ScenarioError, validateScenario } from './parse.ts';
export {
  opBody,
  type RunScenarioOptions,
  resultOf,
  runScenario,
  type ScenarioFailure,
  type ScenarioRun,
  ScenarioWorld,
  scenarioBackend,
  type TraceEntry,
} from './runner.ts';
export {
  errnoNames,
  expectSchema,
  kernelSchema,
  opNames,
  type Scenario,
  type ScenarioExpect,
  type ScenarioStep,
  scenarioSchema,
} from './schema.ts';
