/**
 * Every instrument the driver records: its OpenTelemetry name, kind, unit and meaning, and the
 * attributes it carries. Names follow OpenTelemetry's semantic conventions where one exists
 * (`gen_ai.server.*`), and a `pie.driver.*` prefix otherwise. docs/operators.md lists this table;
 * a test keeps the two the same.
 */
export type InstrumentKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDefinition {
  name: string;
  kind: InstrumentKind;
  unit: string;
  description: string;
  attributes: readonly string[];
  /** Histogram bucket boundaries, in the instrument's unit. */
  buckets?: readonly number[];
}

/** Attribute keys. */
export const Attr = {
  model: 'pie.model',
  requestModel: 'gen_ai.request.model',
  operation: 'gen_ai.operation.name',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  replica: 'pie.driver.replica',
  replicaState: 'pie.driver.replica.state',
  lookahead: 'pie.driver.lookahead.outcome',
  sampler: 'pie.driver.sampler',
  blockState: 'pie.driver.kv_cache.state',
} as const;

// The semantic conventions' advised boundaries for time to first token and time per output token,
// with finer ones below 10 ms: a step of a small model on a fast GPU takes 2 to 10 ms, and a
// quantile between two boundaries is read as a straight line (below the first, from 0 to it).
const FIRST_TOKEN_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const PER_TOKEN_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
// A step of a loaded GPU takes milliseconds; a host stall shows up in the upper buckets.
const STEP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const modelAttributes = [Attr.model] as const;
// The semantic conventions' attributes only: each key costs a hash on every record.
const genAiAttributes = [Attr.requestModel, Attr.operation] as const;

export const METRICS = {
  requests: {
    name: 'pie.driver.requests',
    kind: 'counter',
    unit: '{request}',
    description: 'Forward requests answered, by outcome: no error.type when the request got its tokens, else its stable error code.',
    attributes: [...modelAttributes, Attr.errorType],
  },
  tokens: {
    name: 'pie.driver.tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Tokens of accepted forward requests: input (sent to the engine) and output (returned to programs).',
    attributes: [...modelAttributes, Attr.tokenType],
  },
  timeToFirstToken: {
    name: 'gen_ai.server.time_to_first_token',
    kind: 'histogram',
    unit: 's',
    description: "From a context's first forward request to its first token.",
    attributes: genAiAttributes,
    buckets: FIRST_TOKEN_BUCKETS,
  },
  timePerOutputToken: {
    name: 'gen_ai.server.time_per_output_token',
    kind: 'histogram',
    unit: 's',
    description: 'Time a replica took to answer a step that carried tokens after the first: one observation per replica step (every request of the step waited the same time).',
    attributes: genAiAttributes,
    buckets: PER_TOKEN_BUCKETS,
  },
  forwardDuration: {
    name: 'pie.driver.forward.duration',
    kind: 'histogram',
    unit: 's',
    description: 'One forward call of the host, from the batch to every result (all replicas).',
    attributes: modelAttributes,
    buckets: STEP_BUCKETS,
  },
  stepDuration: {
    name: 'pie.driver.step.duration',
    kind: 'histogram',
    unit: 's',
    description: "One replica's part of a forward call: the message to its runtime and the reply.",
    attributes: [...modelAttributes, Attr.replica],
    buckets: STEP_BUCKETS,
  },
  engineRequests: {
    name: 'pie.driver.engine.requests',
    kind: 'counter',
    unit: '{request}',
    description: "Requests submitted to TensorRT-LLM (generate_async calls): one per stream window and per one-token request.",
    attributes: [...modelAttributes, Attr.replica],
  },
  engineTokens: {
    name: 'pie.driver.engine.tokens',
    kind: 'counter',
    unit: '{token}',
    description: 'Tokens TensorRT-LLM made and delivered to the runtime.',
    attributes: [...modelAttributes, Attr.replica],
  },
  engineTokensWasted: {
    name: 'pie.driver.engine.tokens.wasted',
    kind: 'counter',
    unit: '{token}',
    description: 'Tokens TensorRT-LLM made for streams that their programs left (diverged, changed sampler, released, evicted) without taking them.',
    attributes: [...modelAttributes, Attr.replica],
  },
  lookaheadSteps: {
    name: 'pie.driver.lookahead.steps',
    kind: 'counter',
    unit: '{step}',
    description: 'Steps served from streams, greedy or sampling: answered with a token already made (hit) or waiting for the engine to make it (wait).',
    attributes: [...modelAttributes, Attr.replica, Attr.lookahead, Attr.sampler],
  },
  streamsStarted: {
    name: 'pie.driver.streams.started',
    kind: 'counter',
    unit: '{stream}',
    description: 'Streams started, greedy or sampling: a new context, a program that left its stream (its own token, another sampler), a context forked or restored.',
    attributes: [...modelAttributes, Attr.replica, Attr.sampler],
  },
  replicas: {
    name: 'pie.driver.replicas',
    kind: 'gauge',
    unit: '{replica}',
    description: 'Replicas by state (idle, starting, ready, restarting, failed, stopping, stopped).',
    attributes: [...modelAttributes, Attr.replicaState],
  },
  replicaRestarts: {
    name: 'pie.driver.replica.restarts',
    kind: 'counter',
    unit: '{restart}',
    description: 'Runtimes restarted after they died.',
    attributes: [...modelAttributes, Attr.replica],
  },
  replicaGiveUps: {
    name: 'pie.driver.replica.give_ups',
    kind: 'counter',
    unit: '{replica}',
    description: 'Replicas given up (crashed too often, or a process of a dead runtime would not end); they stay down until the driver restarts.',
    attributes: [...modelAttributes, Attr.replica],
  },
  residentMemory: {
    name: 'pie.driver.runtime.memory.resident',
    kind: 'gauge',
    unit: 'By',
    description: "The runtime process's resident memory.",
    attributes: [...modelAttributes, Attr.replica],
  },
  kvCacheBlocks: {
    name: 'pie.driver.kv_cache.blocks',
    kind: 'gauge',
    unit: '{block}',
    description: "KV cache blocks used and free at TensorRT-LLM's latest iteration statistics; only with llm_kwargs.enable_iter_perf_stats = true.",
    attributes: [...modelAttributes, Attr.replica, Attr.blockState],
  },
} as const satisfies Record<string, MetricDefinition>;
