export {
  applicableSuites,
  type ContractContext,
  type ContractOptions,
  type ContractSuiteName,
  chooseSuites,
  describeBackendContract,
} from './contract.ts';
export { type ChargedMap, mapCharged } from './map-charged.ts';
export {
  CONTEXT_LABELS,
  CONTEXTS,
  leftovers,
  type NoDirectMapExpectation,
  type ProbeResult,
  probe,
  probeAll,
  promisedUsable,
  traitFor,
} from './probe.ts';
export {
  ANON_GFN,
  ANON_HVA,
  ANON_SLOT,
  type ContextName,
  createTestWorld,
  GMEM_GFN,
  GMEM_HVA,
  GMEM_SLOT,
  type TestWorld,
  type TestWorldOptions,
  type WorldSnapshot,
} from './world.ts';
