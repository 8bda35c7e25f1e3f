export {
  buildCounterexample,
  type Counterexample,
  formatTrace,
  scenarioToYaml,
  scheduleToSteps,
} from './counterexample.ts';
export {
  type ExploreAsyncOptions,
  type ExploreOptions,
  type ExploreProgress,
  type ExploreResult,
  explore,
  exploreAsync,
  type Leaf,
  soloSteps,
} from './explore.ts';
export { dependent, type Footprint, Recorder, WorldInstrumentation } from './footprint.ts';
export {
  DIRECT_MAP_ONLY_BACKENDS,
  FUZZ_KERNEL,
  type FuzzCase,
  type FuzzFrequency,
  type FuzzOptions,
  type FuzzReport,
  type FuzzRunOptions,
  type FuzzRunResult,
  fuzz,
  fuzzCase,
  fuzzFrequency,
  fuzzOp,
  fuzzOpOutsideMemslots,
  fuzzProperty,
  fuzzScenario,
  runFuzzCase,
} from './fuzz.ts';
export {
  type CacheState,
  ScheduleRun,
  type StepEvent,
  type ThreadOps,
  threadOps,
  type Violation,
  type WorldOptions,
} from './world.ts';
