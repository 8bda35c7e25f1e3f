export { loadScenarioFile, parseScenario, ScenarioError } from './parse.ts';
export {
  type RunScenarioOptions,
  runScenario,
  runScenarioFile,
  type ScenarioFailure,
  type ScenarioRun,
  ScenarioWorld,
  type StepDeltas,
  type TraceEntry,
} from './runner.ts';
export { errnoNames, expectSchema, kernelSchema, opNames, type Scenario, type ScenarioExpect, scenarioSchema, type ScenarioStep } from './schema.ts';
