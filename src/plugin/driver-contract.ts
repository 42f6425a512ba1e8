import type { DependencyContainer } from 'tsyringe';
import type { Capabilities, ForwardBatch, ForwardResult } from '../capabilities/forward-types.js';
import type { ConfigProblem } from '../config/config-problem.js';

/** What `validate` returns: the resolved configuration, or the problems (TOML paths and messages). */
export type DriverValidationResult<Config = unknown> = { ok: true; config: Config; problems: [] } | { ok: false; problems: ConfigProblem[] };

export interface CreateDriverOptions {
  model: { name: string; hf_repo: string };
  /** The `[model.driver]` table; validated again by `create`. */
  table: unknown;
  /** Run against a simulated engine where the driver has one. */
  simulate?: boolean;
  /** Spawn-to-ready limit for model loading, in milliseconds. */
  readyTimeoutMs?: number;
  /** Extra environment for the driver's processes. */
  env?: Record<string, string | undefined>;
}

/**
 * What any driver reports: Pie's capability fields (snake_case) and its feature flags, whatever
 * their values; a driver that runs several replicas may list them.
 */
export interface DriverCapabilities extends Capabilities {
  supports_user_attention_mask: boolean;
  supports_adapters: boolean;
  replicas?: { device: string; capabilities: Capabilities }[];
}

/**
 * What every driver's `status()` says of each replica (the fields of `serve --stdio`'s status
 * reply); a driver adds its own (this one's are `ReplicaStatus`).
 */
export interface DriverReplicaStatus {
  device: string;
  pid: number | null;
  /** idle, starting, ready, restarting, failed, stopping or stopped. */
  state: string;
  restarts: number;
  engine_calls: number;
  tokens_generated: number;
}

/** One running model: what a host drives. */
export interface DriverInstance {
  start(): Promise<DriverCapabilities>;
  capabilities(): DriverCapabilities;
  forward(batch: ForwardBatch): Promise<ForwardResult[]>;
  release(contextIds: number[]): Promise<void>;
  fork(parent: number, child: number, length: number): Promise<void>;
  status(): Promise<DriverReplicaStatus[]>;
  /** Stops every process the driver started and frees its container. */
  dispose(): Promise<void>;
}

/** What a driver can do here, so conformance tests run only where they can. */
export interface DriverSupports {
  /** `create` + `start` can run on this machine (for us: with the simulated engine). */
  start: boolean;
  /** Options to pass to `create` for a conformance run (e.g. `simulate: true`). */
  conformance?: Partial<CreateDriverOptions>;
  /** Requests the conformance kit may send to check a per-request rejection. */
  rejects?: { feature: string; code: string }[];
}

export interface DriverDescriptor {
  /** Canonical driver type, e.g. `tensorrt_llm`. */
  type: string;
  aliases: readonly string[];
  /** JSON Schema (draft-07) of the `[model.driver]` table. */
  schema: Record<string, unknown>;
  validate(table: unknown, at?: readonly (string | number)[]): DriverValidationResult;
  create(options: CreateDriverOptions): DriverInstance;
  /** Valid `[model.driver]` tables, for documentation and conformance. */
  examples: unknown[];
  supports: DriverSupports;
}

/** The registry a host keeps; plugins register into it. */
export interface DriverRegistry {
  register(descriptor: DriverDescriptor, owner: string): void;
  resolve(typeOrAlias: string): DriverDescriptor;
  list(): { type: string; aliases: readonly string[]; owner: string }[];
}

/** The default export of a plugin module named by the `pie.plugin` field of its package.json. */
export interface PiePluginModule {
  apiVersion: number;
  name: string;
  register(container: DependencyContainer): void;
}
