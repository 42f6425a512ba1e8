import { executionModeNote } from '../../config/execution-mode.js';
import type { Command } from 'commander';
import { OperationError } from '../../capabilities/operation-error.js';
import { MalformedBatchError } from '../../capabilities/request-gate.js';
import { shownValue } from '../../capabilities/shown-value.js';
import type { DriverHandle } from '../../plugin/driver-handle.js';
import { boundedLines } from '../../runtime/line-splitter.js';
import { tcpPort } from '../argument-parsers.js';
import { CliError, startFailureCode } from '../cli-error.js';
import { createModelDriver } from '../local-host.js';
import { type MetricsEndpoint, openMetricsEndpoint } from '../metrics-endpoint.js';
import { selectModel } from '../model-selection.js';
import { disposeOnSignal, exitOnSignalWith } from '../signal-cleanup.js';
import type { Output } from '../output.js';
import { readyTimeoutMs } from '../ready-timeout.js';

/** The longest request line read (its newline not counted); a longer one is dropped unread. */
export const MAX_REQUEST_LINE_BYTES = 64 * 1024 * 1024;

type Message = { id?: unknown; op?: unknown } & Record<string, unknown>;

function error(id: unknown, code: string, message: string) {
  return { id: id ?? null, error: { code, message } };
}

/** Ids JSON carries exactly, echoed as they came: safe integers and short strings. */
function validId(id: unknown): boolean {
  return id === undefined || id === null || Number.isSafeInteger(id) || (typeof id === 'string' && id.length <= 256);
}

/** One reply line; a reply that cannot be encoded is answered with why, under its id. */
function replyLine(reply: Record<string, unknown>): string {
  try {
    return JSON.stringify(reply);
  } catch (caught) {
    return JSON.stringify(error(validId(reply.id) ? reply.id : null, 'INVALID_REQUEST', `the reply could not be encoded: ${(caught as Error).message}`));
  }
}

/** Answers one JSON-lines message (DESIGN §3.5). */
export async function answer(driver: DriverHandle, message: Message): Promise<{ reply: Record<string, unknown>; stop?: boolean }> {
  if (!validId(message.id)) return { reply: error(null, 'INVALID_REQUEST', `\`id\` must be a safe integer or a string of at most 256 characters, found ${shownValue(message.id)}`) };
  const id = message.id ?? null;
  try {
    switch (message.op) {
      case 'capabilities':
        return { reply: { id, capabilities: driver.capabilities() } };
      case 'forward':
        return { reply: { id, results: await driver.forward(message.batch as never) } };
      case 'release':
        await driver.release(message.context_ids as number[]);
        return { reply: { id, ok: true } };
      case 'fork':
        await driver.fork(message.parent as number, message.child as number, message.length as number);
        return { reply: { id, ok: true } };
      case 'status':
        return { reply: { id, replicas: await driver.status() } };
      case 'shutdown':
        await driver.dispose();
        return { reply: { id, ok: true }, stop: true };
      default:
        return { reply: error(id, 'INVALID_REQUEST', `unknown op ${shownValue(message.op)}; expected capabilities, forward, release, fork, status or shutdown`) };
    }
  } catch (caught) {
    if (caught instanceof OperationError || caught instanceof MalformedBatchError) return { reply: error(id, caught.code, caught.message) };
    return { reply: error(id, 'ENGINE_ERROR', (caught as Error)?.message ?? String(caught)) };
  }
}

export function registerServeCommand(program: Command, output: Output): void {
  program
    .command('serve')
    .description('run the driver and speak JSON lines on stdin/stdout (logs on stderr): capabilities, forward, release, fork, status, shutdown')
    .requiredOption('--config <file>', 'the pie.toml')
    .option('--model <name>', 'the [[model]] to serve (needed when several use this driver)')
    .option('--simulate', 'use the simulated TensorRT-LLM (no GPU needed)')
    .option('--ready-timeout <seconds>', 'how long a runtime may take to load (default 1200)')
    .option('--stdio', 'speak the protocol on stdin/stdout (the only transport)')
    .option('--metrics-port <port>', 'serve OpenTelemetry metrics in Prometheus text format at http://<host>:<port>/metrics')
    .option('--metrics-host <address>', 'the address the metrics endpoint listens on (needs --metrics-port)', '127.0.0.1')
    .action(async (options: { config: string; model?: string; simulate?: boolean; readyTimeout?: string; stdio?: boolean; metricsPort?: string; metricsHost: string }, command: Command) => {
      if (!options.stdio) throw new CliError('serve needs --stdio (the JSON-lines protocol on stdin/stdout)', 2);
      const port = options.metricsPort === undefined ? undefined : tcpPort('--metrics-port', options.metricsPort);
      if (port === undefined && command.getOptionValueSource('metricsHost') === 'cli') throw new CliError('--metrics-host needs --metrics-port (the port the metrics endpoint listens on)', 2);
      // Node binds every interface for an empty host: exposing the endpoint must be asked for by name.
      if (options.metricsHost.trim() === '') {
        throw new CliError(`--metrics-host is empty (${JSON.stringify(options.metricsHost)}), which would listen on every interface; name the address to listen on: 127.0.0.1 (the default), or 0.0.0.0 to listen on every interface on purpose`, 2);
      }
      const model = selectModel(options.config, options.model);
      // Open before the model loads: a port in use fails in a second, not after a 20-minute load.
      const metrics: MetricsEndpoint | undefined = port === undefined ? undefined : await openMetricsEndpoint(port, options.metricsHost);
      const driver = createModelDriver(model, { simulate: Boolean(options.simulate), readyTimeoutMs: readyTimeoutMs(options.readyTimeout), meterProvider: metrics?.provider });
      disposeOnSignal(driver);
      try {
        await driver.start();
      } catch (caught) {
        await driver.dispose();
        await metrics?.close();
        throw new CliError(`cannot start the driver: ${(caught as Error).message}`, 1, { code: startFailureCode(caught) });
      }
      const note = executionModeNote(model.driver.options);
      if (note) output.err(`[pie-trtllm] note: ${note}`);
      output.err(`[pie-trtllm] serving ${model.name} on ${driver.capabilities().replicas.map((r) => r.device).join(', ')} (${driver.engine()?.name} ${driver.engine()?.version})${metrics ? `; metrics at ${metrics.url}` : ''}`);
      try {
        await serveLines(driver, output);
      } finally {
        await metrics?.close();
      }
    });
}

async function serveLines(driver: DriverHandle, output: Output): Promise<void> {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await driver.dispose();
  };
  exitOnSignalWith(0); // asked to stop while serving: a clean stop
  // The client went away (stdout closed): stop serving instead of dying on the write error.
  process.stdout.on('error', () => void stop().then(() => process.exit(0)));
  for await (const split of boundedLines(process.stdin, { maxBytes: MAX_REQUEST_LINE_BYTES })) {
    if ('overlong' in split) {
      output.out(replyLine(error(null, 'INVALID_REQUEST', `a line of ${split.overlong} bytes is above the ${MAX_REQUEST_LINE_BYTES}-byte limit; it was dropped unread (send smaller batches)`)));
      continue;
    }
    const line = split.line;
    if (!line.trim()) continue;
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
      if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new Error('a message must be a JSON object');
    } catch (caught) {
      output.out(replyLine(error(null, 'INVALID_REQUEST', `not a JSON object: ${(caught as Error).message}`)));
      continue;
    }
    const { reply, stop: done } = await answer(driver, message);
    output.out(replyLine(reply));
    if (done) {
      stopping = true;
      break;
    }
  }
  process.stdin.destroy(); // stop reading so the process can exit
  await stop();
}
