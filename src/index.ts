import 'reflect-metadata';

export { default as plugin, PLUGIN_NAME, tensorRtLlmDescriptor } from './plugin/plugin.js';
export { DRIVER_REGISTRY, PLUGIN_API_VERSION } from './plugin/api-version.js';
export type { CreateDriverOptions, DriverDescriptor, DriverInstance, DriverRegistry, DriverSupports, DriverValidationResult, PiePluginModule } from './plugin/driver-contract.js';
export { ReferenceDriverRegistry } from './plugin/reference-registry.js';
export { PluginError, type PluginErrorCode } from './plugin/plugin-errors.js';
export { ConfigError } from './plugin/config/config-error.js';
export { validateDriverTable, type DriverValidation } from './plugin/config/driver-validator.js';
export { validatePieFile, validatePieToml, DRIVER_TYPES } from './plugin/config/pie-file-validator.js';
export { formatProblem, type ConfigProblem } from './plugin/config/config-problem.js';
export type { ResolvedDriverConfig, ResolvedDriverOptions, TensorRtLlmDriverTable, TensorRtLlmDriverOptions } from './plugin/config/resolved-config.js';
export { REQUEST_ERROR_CODES, type RequestErrorCode } from './capabilities/error-codes.js';
export type { ForwardBatch, ForwardResult, Sampler } from './capabilities/forward-types.js';
export type { CapabilityReport } from './capabilities/capability-report.js';
export { OperationError } from './capabilities/operation-error.js';
export { MalformedBatchError } from './capabilities/request-gate.js';
export { RuntimeError, type RuntimeErrorCode } from './runtime/runtime-errors.js';
export { Tokens } from './driver/tokens.js';
