// Hardened input for every file the CLI reads (configs, scenarios, sweeps): read with a size limit, parse
// JSON or YAML with the same guarantees, fail with an InputError that names the field and the fix.
export { formatInputError, formatIssue, InputError, type InputIssue } from './input-error.ts';
export { FORBIDDEN_KEYS, formatPath } from './key-path.ts';
export { formatBytes, INPUT_LIMITS } from './limits.ts';
export { type LoadMappingOptions, loadMappingFile } from './load-mapping.ts';
export {
  type DocumentFormat,
  formatOf,
  type ParseDocumentOptions,
  parseDocument,
  parseMapping,
} from './parse-document.ts';
export { decodeUtf8, describeFsError, type ReadInputOptions, readInputFile } from './read-input.ts';
