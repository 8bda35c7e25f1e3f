// The backend interface lives in @khva/backend-api; re-exported so existing imports keep working.
export {
  type AccessRequest,
  type AccessResult,
  type BackendFactory,
  type BackendKernel,
  type BackendKind,
  type BackendReport,
  type BackendTraits,
  type BackendVm,
  checkBackendOptions,
  defineBackend,
  type MapContext,
  type MappingBackend,
  type MapResult,
} from '@khva/backend-api';
