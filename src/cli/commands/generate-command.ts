import { executionModeNote } from '../../config/execution-mode.js';
import type { MeterProvider } from '@opentelemetry/api';
import type { Command } from 'commander';
import type { Sampler } from '../../capabilities/forward-types.js';
import type { DriverHandle } from '../../plugin/driver-handle.js';
import { InterpreterResolver } from '../../runtime/interpreter-resolver.js';
import { probeInterpreter } from '../../runtime/runtime-probe.js';
import { nonNegativeInteger, nonNegativeNumber, positiveInteger, tokenList } from '../argument-parsers.js';
import { CliError, startFailureCode } from '../cli-error.js';
import { createModelDriver } from '../local-host.js';
import { disposeOnSignal } from '../signal-cleanup.js';
import { type SelectedModel, selectModel } from '../model-selection.js';
import type { Output } from '../output.js';
import { discoveredHost } from '../plugin-host.js';
import { Progress } from '../progress.js';
import { readyTimeoutMs } from '../ready-timeout.js';
import { deviceGroups, groupList, replicaCount } from '../../config/device-groups.js';
import { METER_PROVIDER } from '../../metrics/meter-provider.js';
import type { MetricFigure } from '../../metrics/metric-snapshot.js';
import type { ResolvedDriverConfig } from '../../config/resolved-config.js';

interface GenerateOptions {
  config: string;
  model?: string;
  simulate?: boolean | string;
  promptTokens: string;
  maxTokens: string;
  temperature: string;
  seed?: string;
  readyTimeout?: string;
  json?: boolean;
}

const CONTEXT_ID = 1;

/** Decides between TensorRT-LLM and the simulated engine; `auto` simulates only when tensorrt_llm does not import. */
async function chooseEngine(mode: boolean | string | undefined, model: SelectedModel, output: Output, quiet: boolean): Promise<boolean> {
  if (mode === undefined || mode === false) return false;
  if (mode === true || mode === 'true') return true;
  if (mode !== 'auto') throw new CliError(`--simulate takes no value or "auto", found ${JSON.stringify(mode)}`, 2);
  const options = model.table.options as { venv?: string; python?: string } | undefined;
  // The simulated engine runs in the same Python runtime: without an interpreter that runs it,
  // there is nothing to fall back to.
  let python: string;
  let probe;
  try {
    python = new InterpreterResolver().resolve({ venv: options?.venv, python: options?.python }).python;
    probe = await probeInterpreter(python);
  } catch (error) {
    throw new CliError(`${(error as Error).message.split('\n')[0]}; the simulated TensorRT-LLM runs in that Python runtime too, so there is nothing to fall back to (run \`pie-trtllm doctor\`)`, 1, { code: (error as { code?: string }).code });
  }
  if (probe.tensorrt_llm.ok) return false;
  const reason = `tensorrt_llm does not import with ${python} (${(probe.tensorrt_llm.error ?? '').split('\n')[0]})`;
  if (!quiet) output.err(`! ${reason}; using the simulated TensorRT-LLM (run \`pie-trtllm doctor\` to set up the real one)`);
  return true;
}

function samplerFor(temperature: number, seed: number | undefined): Sampler {
  // Pie's Argmax is top_p with temperature 0 and p 1.
  return temperature === 0 ? { type: 'top_p', temperature: 0, p: 1 } : { type: 'multinomial', temperature, seed: seed ?? 0 };
}

async function decode(driver: DriverHandle, prompt: number[], maxTokens: number, sampler: Sampler, onToken: (token: number) => void): Promise<number[]> {
  const tokens: number[] = [];
  let input = prompt;
  let position = 0;
  for (let step = 0; step < maxTokens; step++) {
    const [result] = await driver.forward({
      token_ids: input,
      position_ids: input.map((_, i) => position + i),
      qo_indptr: [0, input.length],
      context_ids: [CONTEXT_ID],
      samplers: [sampler],
      sampler_indptr: [0, 1],
    });
    if (!result || 'error' in result) {
      throw new CliError(`step ${step + 1}: the driver answered ${result ? `${result.error.code}: ${result.error.message}` : 'nothing'}`, 1);
    }
    const token = result.tokens[0]!;
    tokens.push(token);
    onToken(token);
    position += input.length;
    input = [token]; // Pie feeds the sampled token back at the next position
  }
  return tokens;
}

export function registerGenerateCommand(program: Command, output: Output): void {
  program
    .command('generate')
    .description('the whole path end to end: discover the plugin, validate the config, start the runtimes, decode step by step as Pie does, print tokens and tokens/s')
    .requiredOption('--config <file>', 'the pie.toml')
    .option('--model <name>', 'the [[model]] to use (needed when several use this driver)')
    .option('--simulate [mode]', 'use the simulated TensorRT-LLM; `--simulate=auto` only when tensorrt_llm does not import')
    .requiredOption('--prompt-tokens <ids>', 'prompt token ids, comma-separated (e.g. 1,2,3)')
    .requiredOption('--max-tokens <n>', 'how many tokens to generate')
    .option('--temperature <t>', 'sampling temperature; 0 is greedy', '0')
    .option('--seed <s>', 'seed for temperature > 0')
    .option('--ready-timeout <seconds>', 'how long model loading may take (default 1200)')
    .option('--json', 'print one JSON object at the end instead of streaming')
    .action(async (options: GenerateOptions) => {
      const prompt = tokenList(options.promptTokens);
      const maxTokens = positiveInteger('--max-tokens', options.maxTokens);
      const temperature = nonNegativeNumber('--temperature', options.temperature);
      const seed = options.seed === undefined ? undefined : nonNegativeInteger('--seed', options.seed);
      const quiet = Boolean(options.json);
      const { registry, report, container } = await discoveredHost();
      // --json reports the run's metrics too: the driver records to a provider read at the end.
      const figures = quiet ? await runFigures() : undefined;
      if (figures) container.register(METER_PROVIDER, { useValue: figures.provider });
      for (const skipped of report.skipped) if (!quiet) output.err(`! skipped plugin ${skipped.package}: ${skipped.reason}`);
      const model = selectModel(options.config, options.model);
      // What the configuration already says cannot be honoured is refused before a model loads.
      const samplerType = model.driver.options.llm_kwargs.sampler_type ?? 'auto';
      if (temperature > 0 && seed !== undefined && seed !== 0 && samplerType !== 'TRTLLMSampler') {
        throw new CliError(
          `--seed ${seed} asks for reproducible sampling, but TensorRT-LLM 1.2.1's TorchSampler (llm_kwargs.sampler_type = ${JSON.stringify(samplerType)}) draws every request from one shared generator; drop --seed, or set llm_kwargs.sampler_type = "TRTLLMSampler" in [model.driver.options]`,
          2,
          { code: 'UNSUPPORTED_SAMPLER' },
        );
      }
      const simulate = await chooseEngine(options.simulate, model, output, quiet);
      const note = executionModeNote(model.driver.options);
      if (note && !quiet) output.err(`note: ${note}`);
      const driver = createModelDriver(model, { simulate, readyTimeoutMs: readyTimeoutMs(options.readyTimeout), registry });
      disposeOnSignal(driver);
      const progress = new Progress(output, quiet);
      const devices = describeDevices(model.driver);
      progress.start(`loading ${model.name} on ${devices}${simulate ? ' (simulated)' : ''}`);
      try {
        await driver.start();
        progress.finish(true);
      } catch (error) {
        progress.finish(false);
        await driver.dispose();
        throw new CliError(`cannot start the driver: ${(error as Error).message}`, 1, { code: startFailureCode(error) });
      }
      let streamed = false;
      try {
        // The prompt and every generated token but the last occupy positions: refuse up front
        // what the model cannot hold, instead of failing after printing most of it.
        const limit = driver.capabilities().max_model_len;
        if (prompt.length + maxTokens - 1 > limit) {
          throw new CliError(`${prompt.length} prompt tokens and --max-tokens ${maxTokens} need ${prompt.length + maxTokens - 1} positions, but the model holds ${limit}; ask for at most ${limit - prompt.length + 1} tokens`, 2);
        }
        const engine = driver.engine() ?? { name: 'unknown', version: 'unknown' };
        if (!quiet) process.stdout.write('tokens:');
        streamed = !quiet;
        const started = process.hrtime.bigint();
        const tokens = await decode(driver, prompt, maxTokens, samplerFor(temperature, seed), (t) => {
          if (!quiet) process.stdout.write(` ${t}`);
        });
        streamed = false;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        await driver.release([CONTEXT_ID]);
        const status = (await driver.status()) as { engine_calls: number; runtime?: { anticipated_steps?: number } }[];
        const engineCalls = status.reduce((sum, s) => sum + s.engine_calls, 0);
        const answeredAhead = status.reduce((sum, s) => sum + (s.runtime?.anticipated_steps ?? 0), 0);
        const engineName = engine.name === 'simulated' ? `simulated TensorRT-LLM ${engine.version}` : `TensorRT-LLM ${engine.version}`;
        const summary = { model: model.name, engine: { ...engine, description: engineName }, simulated: simulate, prompt_tokens: prompt, tokens, seconds, tokens_per_s: tokens.length / seconds, engine_calls: engineCalls, steps_answered_ahead: answeredAhead };
        if (quiet) output.out(JSON.stringify({ ...summary, metrics: await figures!.read() }));
        else {
          process.stdout.write('\n');
          output.out(`${tokens.length} tokens in ${(seconds * 1000).toFixed(1)} ms (${summary.tokens_per_s.toFixed(0)} tokens/s), ${engineCalls} engine call${engineCalls === 1 ? '' : 's'}, ${answeredAhead} step${answeredAhead === 1 ? '' : 's'} answered ahead, engine: ${engineName}`);
        }
      } catch (error) {
        if (streamed) process.stdout.write('\n'); // an error after streamed tokens starts on its own line
        throw error;
      } finally {
        await driver.dispose();
      }
    });
}

/** A MeterProvider whose figures are read once, at the end of the run. */
async function runFigures(): Promise<{ provider: MeterProvider; read(): Promise<MetricFigure[]> }> {
  const [{ metricsSdk }, { OnDemandReader }] = await Promise.all([import('../../metrics/metrics-sdk.js'), import('../../metrics/metric-snapshot.js')]);
  const SdkMeterProvider = metricsSdk().sdk.MeterProvider;
  const reader = new OnDemandReader();
  const provider = new SdkMeterProvider({ readers: [reader] });
  return {
    provider,
    read: async () => {
      const figures = await reader.figures();
      await provider.shutdown();
      return figures;
    },
  };
}

/** "cuda:0, cuda:1", or for parallel groups "cuda:0,cuda:1 | cuda:2,cuda:3 (2 replicas of 2 ranks)". */
function describeDevices({ device, tensor_parallel_size: tp, options: { pipeline_parallel_size: pp } }: ResolvedDriverConfig): string {
  if (tp * pp === 1) return device.join(', ');
  const groups = deviceGroups(device, tp, pp);
  return `${groupList(groups)} (${replicaCount(groups)})`;
}
