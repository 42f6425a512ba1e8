import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sampler } from '../../src/capabilities/forward-types.js';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { batchOf, GREEDY, greedyContinuation, withDriver } from '../helpers/driver-fixture.js';
import { runCli } from '../helpers/run-cli.js';

const NUCLEUS: Sampler = { type: 'top_p', temperature: 0.7, p: 0.9 };
const TOP_K: Sampler = { type: 'top_k', temperature: 0.8, k: 40 };

interface RuntimeStatus {
  engine_calls: number;
  runtime: { streams_started: number; sampling_streams_started: number; sampling_hits: number; sampling_waits: number; execution_mode: string; lookahead_mode: string; continuations: number };
}

/** Pie's decode loop over several contexts at once, each step one batch; `samplerAt(step)` per step. */
async function decodeTogether(driver: DriverHandle, contexts: number[], prompt: number[], steps: number, samplerAt: (step: number) => Sampler): Promise<number[][]> {
  const got = contexts.map(() => [] as number[]);
  for (let step = 0; step < steps; step++) {
    const batch = batchOf(contexts.map((c, i) => (step === 0 ? [c, prompt, 0, samplerAt(step)] : [c, [got[i]!.at(-1)!], prompt.length + step - 1, samplerAt(step)])));
    const results = await driver.forward(batch);
    results.forEach((r, i) => {
      if (!('tokens' in r)) throw new Error(`context ${contexts[i]} failed: ${JSON.stringify(r)}`);
      got[i]!.push(r.tokens[0]!);
    });
  }
  return got;
}

async function status(driver: DriverHandle): Promise<RuntimeStatus> {
  const [replica] = (await driver.status()) as unknown as RuntimeStatus[];
  return replica!;
}

describe('sampling programs served from streams (through the whole driver)', function () {
  this.timeout(60_000);

  it('serves a sampling loop from one stream per context, and a sampler change from a new one', async () => {
    await withDriver({}, async (driver) => {
      // TorchSampler (the default) reads no seed: unseeded sampling steps come from streams.
      await decodeTogether(driver, [1, 2, 3], [5, 6, 7], 20, () => NUCLEUS);
      let s = await status(driver);
      expect(s.engine_calls).to.equal(3); // 20 of each stream's first 32 tokens taken
      expect(s.runtime.sampling_streams_started).to.equal(3);
      expect(s.runtime.sampling_hits + s.runtime.sampling_waits).to.be.at.least(3 * 19); // the rest answered ahead in the runtime
      // The same programs, two samplers: every context changes at step 10, so each needs one more stream.
      await decodeTogether(driver, [4, 5], [8, 9], 20, (step) => (step < 10 ? NUCLEUS : TOP_K));
      s = await status(driver);
      expect(s.engine_calls).to.equal(3 + 2 * 2);
      expect(s.runtime.sampling_streams_started).to.equal(3 + 2 * 2);
    });
  });

  it('keeps one request per token, with its seed, under a sampler that honours seeds', async () => {
    const table = { type: 'tensorrt_llm', device: 'cuda:0', options: { llm_kwargs: { sampler_type: 'TRTLLMSampler' } } };
    await withDriver({ table }, async (driver) => {
      const seeded = { type: 'multinomial', temperature: 1, seed: 1234 } as Sampler;
      const a = await decodeTogether(driver, [1], [5, 6, 7], 8, () => seeded);
      const b = await decodeTogether(driver, [2], [5, 6, 7], 8, () => seeded);
      const s = await status(driver);
      expect(s.engine_calls).to.equal(16);
      expect(s.runtime.sampling_streams_started).to.equal(0);
      expect(a[0]!.length).to.equal(8);
      expect(b[0]!.length).to.equal(8);
    });
  });

  it('starts and serves a pie.toml written for Pie with execution_mode = "pyexecutor", by streams capped at pyexecutor_max_tokens', async () => {
    const text = `[[model]]\nname = "qwen"\nhf_repo = "Qwen/Qwen3-0.6B"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n[model.driver.options]\nexecution_mode = "pyexecutor"\npyexecutor_max_tokens = 8\npyexecutor_lookahead = true\npyexecutor_worker_stop_timeout_s = 10.0\nlookahead_tokens = 0\n`;
    const validation = validatePieToml(text, 'pie.toml');
    expect(validation.ok).to.equal(true);
    expect(validation.notes).to.deep.equal([
      {
        path: 'model[0].driver.options.execution_mode',
        message:
          'execution_mode = "pyexecutor" is served by streaming requests through TensorRT-LLM\'s public LLM API, each context\'s KV cache resident across its decode steps as in Pie\'s mode; pyexecutor_max_tokens = 8 caps one stream request, and no private TensorRT-LLM API is called',
        line: 8,
      },
    ]);
    expect(validation.warnings.map((w) => `${w.path}:${w.line}`)).to.deep.equal(['model[0].driver.options.pyexecutor_lookahead:10', 'model[0].driver.options.pyexecutor_worker_stop_timeout_s:11']);
    await withDriver({ table: validation.models[0]!.driver as unknown as Record<string, unknown> }, async (driver) => {
      // lookahead_tokens = 0 turns lookahead off in generate mode, not here: the mode is streams.
      const [greedy] = await decodeTogether(driver, [1], [5, 6, 7], 20, () => GREEDY);
      expect(greedy).to.deep.equal(greedyContinuation([5, 6, 7], 20));
      const s = await status(driver);
      expect(s.runtime.execution_mode).to.equal('pyexecutor');
      expect(s.runtime.lookahead_mode).to.equal('stream');
      // Requests of at most 8 tokens: 20 tokens (and the next, asked for once 1 is left) take 3.
      expect(s.engine_calls).to.equal(3);
      await decodeTogether(driver, [2], [5, 6, 7], 5, () => NUCLEUS);
      expect((await status(driver)).runtime.sampling_streams_started).to.equal(1);
    });
  });

  it('validate prints the pyexecutor note and the knobs without effect, and refuses what contradicts the mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyexecutor-'));
    const header = `[[model]]\nname = "qwen"\nhf_repo = "Qwen/Qwen3-0.6B"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n[model.driver.options]\n`;
    writeFileSync(join(dir, 'ok.toml'), `${header}execution_mode = "pyexecutor"\npyexecutor_direct_token_limit = 4\n`);
    const ok = await runCli(['validate', join(dir, 'ok.toml')]);
    expect(ok.code).to.equal(0);
    expect(ok.stderr).to.contain('note: model[0].driver.options.execution_mode: execution_mode = "pyexecutor" is served by streaming requests');
    expect(ok.stderr).to.contain('warning: model[0].driver.options.pyexecutor_direct_token_limit: has no effect here: each step gets exactly one token here, never several');
    writeFileSync(join(dir, 'generate.toml'), `${header}pyexecutor_max_tokens = 64\n`);
    const generate = await runCli(['validate', '--json', join(dir, 'generate.toml')]);
    expect(JSON.parse(generate.stdout).warnings[0].message).to.equal('has no effect unless execution_mode = "pyexecutor" (remove it, or set the mode)');
    writeFileSync(join(dir, 'stream.toml'), `${header}execution_mode = "pyexecutor"\nlookahead_stream_tokens = 64\n`);
    const stream = await runCli(['validate', join(dir, 'stream.toml')]);
    expect(stream.code).to.equal(0);
    expect(stream.stderr).to.contain(`warning: model[0].driver.options.lookahead_stream_tokens: has no effect with execution_mode = "pyexecutor": pyexecutor_max_tokens sets the stream length (remove it) (${join(dir, 'stream.toml')}:9)`);
    writeFileSync(join(dir, 'bad.toml'), `${header}execution_mode = "pyexecutor"\nlookahead_mode = "window"\nmax_history_tokens = 10\n`);
    const bad = await runCli(['validate', join(dir, 'bad.toml')]);
    expect(bad.code).to.equal(1);
    expect(bad.stdout.trim().split('\n')).to.deep.equal([
      `model[0].driver.options: \`max_history_tokens\` must be unset when execution_mode = "pyexecutor" (pyexecutor mode needs full replay histories) (${join(dir, 'bad.toml')}:7)`,
      `model[0].driver.options.lookahead_mode: \`lookahead_mode = "window"\` contradicts execution_mode = "pyexecutor", which streams serve (remove lookahead_mode) (${join(dir, 'bad.toml')}:9)`,
    ]);
  });
});
