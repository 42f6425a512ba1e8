import type { ConfigProblem } from './config-problem.js';

/**
 * Pie's `execution_mode = "pyexecutor"` drives TensorRT-LLM's private PyExecutor loop so that each
 * context's KV cache stays resident across decode steps. Here streams do that through the public
 * API, greedy and sampling alike: the mode is accepted and served by the stream path, with
 * `pyexecutor_max_tokens` capping one stream request. Its other knobs belong to Pie's private loop
 * and have no use here; a table that sets one is told so, never silently.
 */
const NO_USE_HERE: Record<string, string> = {
  pyexecutor_worker_stop_timeout_s: "no TensorRT-LLM thread is stopped here: no private API is driven",
  pyexecutor_lookahead: 'streams run ahead of their programs at every batch size',
  pyexecutor_lookahead_min_batch_size: 'streams run ahead of their programs at every batch size',
  pyexecutor_direct_token_limit: 'each step gets exactly one token here, never several',
  pyexecutor_speculative_lookahead: 'the driver offers no drafts of its own; drafts a program sends are refused with UNSUPPORTED_SPECULATION',
};

export const PYEXECUTOR_KEYS = ['pyexecutor_max_tokens', ...Object.keys(NO_USE_HERE)] as const;

/** The one line that says how a pyexecutor table is served, or undefined for generate mode. */
export function executionModeNote(options: { execution_mode?: string; pyexecutor_max_tokens?: number }): string | undefined {
  if (options.execution_mode !== 'pyexecutor') return undefined;
  return (
    `execution_mode = "pyexecutor" is served by streaming requests through TensorRT-LLM's public LLM API, each context's KV cache resident ` +
    `across its decode steps as in Pie's mode; pyexecutor_max_tokens = ${options.pyexecutor_max_tokens ?? 4096} caps one stream request, and no private TensorRT-LLM API is called`
  );
}

/** Warnings for the keys of the execution modes a table sets that do nothing as written. */
export function unusedPyexecutorKeys(options: Record<string, unknown>, path: string): ConfigProblem[] {
  const pyexecutor = options.execution_mode === 'pyexecutor';
  const out: ConfigProblem[] = [];
  if (pyexecutor && Object.hasOwn(options, 'lookahead_stream_tokens')) {
    out.push({ path: `${path}.lookahead_stream_tokens`, message: 'has no effect with execution_mode = "pyexecutor": pyexecutor_max_tokens sets the stream length (remove it)' });
  }
  for (const key of PYEXECUTOR_KEYS) {
    if (!Object.hasOwn(options, key)) continue;
    if (!pyexecutor) {
      out.push({ path: `${path}.${key}`, message: 'has no effect unless execution_mode = "pyexecutor" (remove it, or set the mode)' });
    } else if (key in NO_USE_HERE) {
      out.push({ path: `${path}.${key}`, message: `has no effect here: ${NO_USE_HERE[key]} (accepted so Pie's pie.toml keeps working)` });
    }
  }
  return out;
}
