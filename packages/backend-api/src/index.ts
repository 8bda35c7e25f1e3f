export type {
  AccessRequest,
  AccessResult,
  BackendKernel,
  BackendKind,
  BackendReport,
  BackendTraits,
  BackendVm,
  MapContext,
  MapErrno,
  MappingBackend,
  MapResult,
} from './backend.ts';
export {
  BACKEND_SPEC_VERSION,
  type BackendDefinition,
  type BackendFactory,
  checkBackendOptions,
  defineBackend,
  isBackendFactory,
} from './factory.ts';
export { globalTraits } from './global-traits.ts';
export { BackendRegistry, UnknownBackendError } from './registry.ts';
