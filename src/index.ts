// The published types use Node's (NodeJS.ProcessEnv, Buffer): declared here, so a host whose tsconfig
// lists no `types` (TypeScript 6 and later include none by default) still finds them.
/// <reference types="node" preserve="true" />
import 'reflect-metadata';

export { default as plugin, PLUGIN_NAME, tensorRtLlmDescriptor } from './plugin/plugin.js';
export { DRIVER_REGISTRY, PLUGIN_API_VERSION } from './plugin/api-version.js';
export type { CreateDriverOptions, DriverCapabilities, DriverDescriptor, DriverInstance, DriverRegistry, DriverSupports, DriverValidationResult, PiePluginModule } from './plugin/driver-contract.js';
export { ReferenceDriverRegistry } from './plugin/reference-registry.js';
export { discoverPlugins, type DiscoveryOptions, type DiscoveryReport } from './plugin/discovery.js';
export { defineDriverConformance, type ConformanceOptions } from './plugin/conformance/index.js';
export { PluginError, type PluginErrorCode } from './plugin/plugin-errors.js';
export { ConfigError } from './config/config-error.js';
export { validateDriverTable, type DriverValidation } from './config/driver-validator.js';
export { validatePieFile, validatePieToml, DRIVER_TYPES } from './config/pie-file-validator.js';
export { formatProblem, type ConfigProblem } from './config/config-problem.js';
export type { ResolvedDriverConfig, ResolvedDriverOptions, TensorRtLlmDriverTable, TensorRtLlmDriverOptions } from './config/resolved-config.js';
export { REQUEST_ERROR_CODES, type RequestErrorCode } from './capabilities/error-codes.js';
export type { ForwardBatch, ForwardResult, Sampler } from './capabilities/forward-types.js';
export type { CapabilityReport } from './capabilities/capability-report.js';
export { OperationError } from './capabilities/operation-error.js';
export { MalformedBatchError } from './capabilities/request-gate.js';
export { RuntimeError, type RuntimeErrorCode } from './runtime/runtime-errors.js';
export { Tokens } from './driver/tokens.js';
export { METER_PROVIDER, METER_NAME } from './metrics/meter-provider.js';
export { METRICS, type MetricDefinition } from './metrics/metric-catalog.js';
