import type { ResolvedDriverConfig } from '../config/resolved-config.js';

/** Everything one driver instance is started with. */
export interface DriverSettings {
  model: { name: string; hf_repo: string };
  config: ResolvedDriverConfig;
  /** Use the simulated TensorRT-LLM. */
  simulate: boolean;
  /** How long a runtime may take from spawn to ready (model loading). */
  readyTimeoutMs: number;
  /** Extra environment for the runtimes. */
  runtimeEnv?: NodeJS.ProcessEnv;
}

/** Pie waits 20 minutes for a cold start; so do we, unless told otherwise. */
export const DEFAULT_READY_TIMEOUT_MS = 1_200_000;
