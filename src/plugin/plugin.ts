import 'reflect-metadata';
import { createRequire } from 'node:module';
import type { DependencyContainer } from 'tsyringe';
import type * as DriverContainerModule from '../driver/driver-container.js';
import { DEFAULT_READY_TIMEOUT_MS } from '../driver/driver-settings.js';
import type { TensorRtLlmDriver } from '../driver/tensorrt-llm-driver.js';
import { Tokens } from '../driver/tokens.js';
import { DRIVER_REGISTRY, PLUGIN_API_VERSION } from './api-version.js';
import { ConfigError } from '../config/config-error.js';
import type * as DriverValidatorModule from '../config/driver-validator.js';
import { loadSchema } from '../config/schema-files.js';
import type { DriverDescriptor, DriverRegistry, PiePluginModule } from './driver-contract.js';
import { DriverHandle } from './driver-handle.js';
import { onFirstUse } from './on-first-use.js';
import { PluginError } from './plugin-errors.js';
import { timerProblem } from '../runtime/timer-limit.js';

// The validator (the compiled schema) and the runtime machinery (the TOML parser, process
// supervision) load on first use: a host that discovers the plugin pays only for registering it.
const require = createRequire(import.meta.url);
const validatorModule = onFirstUse(() => require('../config/driver-validator.js') as typeof DriverValidatorModule);
const containerModule = onFirstUse(() => require('../driver/driver-container.js') as typeof DriverContainerModule);
const driverSchema = onFirstUse(() => loadSchema('driver'));

export const PLUGIN_NAME = 'pie-driver-tensorrt-llm';

/** The descriptor of the TensorRT-LLM driver; `host` is the container its instances' containers descend from. */
export function tensorRtLlmDescriptor(host: DependencyContainer): DriverDescriptor {
  return {
    type: 'tensorrt_llm',
    aliases: ['tensorrt-llm', 'trtllm'],
    get schema() {
      return driverSchema();
    },
    validate: (table, at) => validatorModule().validateDriverTable(table, at),
    examples: [
      { type: 'tensorrt_llm', device: 'cuda:0' },
      { type: 'trtllm', device: ['cuda:0', 'cuda:1'], options: { lookahead_tokens: 8, max_seq_len: 2048 } },
      // A model larger than one GPU: two replicas of two tensor-parallel ranks.
      { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'], tensor_parallel_size: 2 },
    ],
    supports: {
      start: true,
      conformance: { simulate: true, readyTimeoutMs: 30_000 },
      rejects: [
        { feature: 'adapter', code: 'UNSUPPORTED_ADAPTER' },
        { feature: 'probe', code: 'UNSUPPORTED_PROBE' },
        { feature: 'logit_mask', code: 'UNSUPPORTED_LOGIT_MASK' },
        { feature: 'attention_mask', code: 'UNSUPPORTED_ATTENTION_MASK' },
        { feature: 'speculation', code: 'UNSUPPORTED_SPECULATION' },
        { feature: 'multimodal', code: 'UNSUPPORTED_MULTIMODAL' },
      ],
    },
    create(options) {
      const result = validatorModule().validateDriverTable(options.table);
      if (!result.ok) throw new ConfigError(result.problems);
      const timeoutProblem = options.readyTimeoutMs === undefined ? undefined : timerProblem(options.readyTimeoutMs);
      if (timeoutProblem) throw new ConfigError([{ path: 'readyTimeoutMs', message: timeoutProblem }]);
      const container = containerModule().createDriverContainer(host, {
        model: options.model,
        config: result.config,
        simulate: options.simulate ?? false,
        readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
        runtimeEnv: options.env,
      });
      return new DriverHandle(container.resolve<TensorRtLlmDriver>(Tokens.Driver), container);
    },
  };
}

const plugin: PiePluginModule = {
  apiVersion: PLUGIN_API_VERSION,
  name: PLUGIN_NAME,
  register(container: DependencyContainer): void {
    if (!container.isRegistered(DRIVER_REGISTRY, true)) {
      throw new PluginError('REGISTRY_MISSING', `${PLUGIN_NAME}: the host container has no driver registry under Symbol.for("pie.DriverRegistry")`);
    }
    container.resolve<DriverRegistry>(DRIVER_REGISTRY).register(tensorRtLlmDescriptor(container), PLUGIN_NAME);
  },
};

export default plugin;
