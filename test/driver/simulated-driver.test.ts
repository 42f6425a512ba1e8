import { expect } from 'chai';
import { createAjv } from '../../src/config/ajv-instance.js';
import { loadSchema } from '../../src/config/schema-files.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { OperationError } from '../../src/capabilities/operation-error.js';
import { groupAlive } from '../helpers/process-state.js';
import { batchOf, greedyContinuation, greedyNext, GREEDY, simulatedDriver, withDriver } from '../helpers/driver-fixture.js';

describe('driver over real runtimes (simulated engine)', function () {
  this.timeout(60_000);
  let driver: DriverHandle;

  before(async () => {
    driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'], options: { lookahead_tokens: 16 } } });
    await driver.start();
  });

  after(async () => {
    await driver.dispose();
  });

  it('reports combined capabilities with one entry per replica and the unsupported features off', () => {
    const caps = driver.capabilities();
    expect(caps.replicas.map((r) => r.device)).to.deep.equal(['cuda:0', 'cuda:1']);
    expect(caps.supports_user_attention_mask).to.equal(false);
    expect(caps.supports_adapters).to.equal(false);
    expect(caps.max_custom_mask_bytes).to.equal(0);
    expect(caps.vocab_size).to.equal(32000);
    // TensorRT-LLM 1.2.1's default sampler (TorchSampler) honours neither seeds nor min_p.
    expect(caps).to.include({ sampler_type: 'TorchSampler', supports_seeded_sampling: false, supports_min_p: false });
  });

  it('decodes greedily over many steps and contexts exactly as the documented rule says', async () => {
    const prompts: Record<number, number[]> = { 101: [1, 2, 3], 102: [40], 103: [7, 7, 7, 7], 104: [31999, 5] };
    const ids = Object.keys(prompts).map(Number);
    const tokens: Record<number, number[]> = Object.fromEntries(ids.map((c) => [c, []]));
    let results = await driver.forward(batchOf(ids.map((c) => [c, prompts[c]!, 0, GREEDY])));
    ids.forEach((c, i) => tokens[c]!.push((results[i] as { tokens: number[] }).tokens[0]!));
    for (let step = 1; step < 40; step++) {
      results = await driver.forward(batchOf(ids.map((c) => [c, [tokens[c]!.at(-1)!], prompts[c]!.length + step - 1, GREEDY])));
      ids.forEach((c, i) => tokens[c]!.push((results[i] as { tokens: number[] }).tokens[0]!));
    }
    for (const c of ids) expect(tokens[c], `context ${c}`).to.deep.equal(greedyContinuation(prompts[c]!, 40));
    const status = (await driver.status()) as { state: string; engine_calls: number; tokens_generated: number }[];
    expect(status.every((s) => s.state === 'ready')).to.equal(true);
    // Contexts spread over both replicas, and lookahead keeps engine calls far below tokens.
    expect(status.map((s) => s.tokens_generated).reduce((a, b) => a + b)).to.equal(160);
    expect(status.every((s) => s.tokens_generated > 0)).to.equal(true);
    expect(status.map((s) => s.engine_calls).reduce((a, b) => a + b)).to.be.at.most(12);
  });

  it('answers a wide decode loop ahead of time, still by the rule, also when a program changes course', async () => {
    // 80 contexts: 40 per replica, enough for the packed decode steps a runtime anticipates.
    const anticipated = async () => ((await driver.status()) as { runtime?: { anticipated_steps?: number } }[]).map((s) => s.runtime?.anticipated_steps ?? 0);
    const before = await anticipated();
    const ids = Array.from({ length: 80 }, (_, i) => 2000 + i);
    const histories = new Map(ids.map((c) => [c, [c % 97, 3, c % 13]]));
    let results = await driver.forward(batchOf(ids.map((c) => [c, histories.get(c)!, 0, GREEDY])));
    for (let step = 0; step < 40; step++) {
      ids.forEach((c, i) => {
        const history = histories.get(c)!;
        expect((results[i] as { tokens: number[] }).tokens, `context ${c} at ${history.length}`).to.deep.equal([greedyNext(history)]);
        // At step 20 one program feeds back a token of its own instead of the sampled one.
        history.push(step === 20 && c === ids[7] ? 12345 : greedyNext(history));
      });
      results = await driver.forward(batchOf(ids.map((c) => [c, [histories.get(c)!.at(-1)!], histories.get(c)!.length - 1, GREEDY])));
    }
    const after = await anticipated();
    // 40 steps on each replica: all but the first, the engine calls and the step after the change come ahead.
    after.forEach((count, replica) => expect(count - before[replica]!).to.be.within(30, 39));
  });

  it('answers a batch mixing every unsupported feature with good requests: one result each, no restart', async () => {
    const batch = batchOf(
      [
        [201, [1, 2], 0, GREEDY], // good
        [202, [1, 2], 0, GREEDY], // custom attention mask
        [203, [1], 0, GREEDY], // logit mask
        [204, [1], 0, GREEDY], // adapter
        [205, [1], 0, { type: 'logprobs', token_ids: [1, 2] }], // probe
        [206, [1], 0, GREEDY], // speculation
        [207, [1], 0, GREEDY], // image
        [208, [1, 2], 0, GREEDY], // explicit causal mask: plain decoding
        [209, [5], 3, GREEDY], // a restore without its prefix
        [210, [9], 0, { type: 'top_k', temperature: 0.7, k: 20 }], // good, stochastic
      ],
      {
        masks: [[0, 1], [0, 2], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 2], [0, 4], [0, 1]],
        mask_indptr: [0, 2, 4, 5, 6, 7, 8, 9, 11, 12, 13],
        has_user_mask: true,
        logit_masks: [[0, 32000]],
        logit_mask_indptr: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
        adapter_bindings: [-1, -1, -1, 4, -1, -1, -1, -1, -1, -1].map((id) => ({ adapter_id: id, seed: 0 })),
        spec_token_ids: [3],
        spec_position_ids: [1],
        spec_indptr: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
        image_indptr: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
      },
    );
    const results = await driver.forward(batch);
    expect(results).to.have.length(10);
    const codes = results.map((r) => ('error' in r ? r.error.code : 'tokens'));
    expect(codes).to.deep.equal([
      'tokens', 'UNSUPPORTED_ATTENTION_MASK', 'UNSUPPORTED_LOGIT_MASK', 'UNSUPPORTED_ADAPTER', 'UNSUPPORTED_PROBE',
      'UNSUPPORTED_SPECULATION', 'UNSUPPORTED_MULTIMODAL', 'tokens', 'MISSING_REPLAY_PREFIX', 'tokens',
    ]);
    expect(results[0]).to.deep.equal({ tokens: greedyContinuation([1, 2], 1) });
    expect(results[7]).to.deep.equal({ tokens: greedyContinuation([1, 2], 1) });
    const status = (await driver.status()) as { restarts: number; state: string }[];
    expect(status.map((s) => [s.state, s.restarts])).to.deep.equal([['ready', 0], ['ready', 0]]);
  });

  it('keeps serving a context evicted and re-created within one batch (max_session_histories = 2)', async () => {
    await withDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { max_session_histories: 2 } } }, async (small) => {
      await small.forward(batchOf([[1, [1, 2], 0, GREEDY], [2, [3, 4], 0, GREEDY]]));
      // Context 3 evicts 1; context 1 comes back from position 0 and evicts 2.
      const [, again] = await small.forward(batchOf([[3, [5], 0, GREEDY], [1, [1, 2], 0, GREEDY]]));
      expect(again).to.deep.equal({ tokens: greedyContinuation([1, 2], 1) });
      const next = greedyContinuation([1, 2], 1)[0]!;
      expect(await small.forward(batchOf([[1, [next], 2, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1, 2, next], 1) }]);
      expect((await small.forward(batchOf([[2, [9], 2, GREEDY]])))[0]).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
    });
  });

  it('keeps a context re-created by a later message when an earlier reply reports it evicted', async () => {
    await withDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { max_session_histories: 2 } } }, async (small) => {
      await small.forward(batchOf([[1, [1, 2], 0, GREEDY], [2, [3, 4], 0, GREEDY]]));
      // Sent together: the first evicts context 1 (reported in its reply, which comes after the
      // second was sent); the second re-creates 1 from position 0, evicting 2.
      const [first, second] = await Promise.all([small.forward(batchOf([[3, [5], 0, GREEDY]])), small.forward(batchOf([[1, [1, 2], 0, GREEDY]]))]);
      expect(first).to.deep.equal([{ tokens: greedyContinuation([5], 1) }]);
      expect(second).to.deep.equal([{ tokens: greedyContinuation([1, 2], 1) }]);
      const next = greedyContinuation([1, 2], 1)[0]!;
      expect(await small.forward(batchOf([[1, [next], 2, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1, 2, next], 1) }]);
      expect((await small.forward(batchOf([[2, [9], 2, GREEDY]])))[0]).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
    });
  });

  it('admits a forward on a child sent right after its fork, without awaiting the fork', async () => {
    await driver.forward(batchOf([[311, [4, 5, 6], 0]]));
    const [, results] = await Promise.all([driver.fork(311, 312, 2), driver.forward(batchOf([[312, [77], 2, GREEDY]]))]);
    expect(results).to.deep.equal([{ tokens: greedyContinuation([4, 5, 77], 1) }]);
  });

  it('forks a known context and refuses a fork without its prefix', async () => {
    await driver.forward(batchOf([[301, [4, 5, 6], 0]]));
    await driver.fork(301, 302, 2);
    const results = await driver.forward(batchOf([[302, [77], 2, GREEDY]]));
    expect(results).to.deep.equal([{ tokens: greedyContinuation([4, 5, 77], 1) }]);
    const refused = await driver.fork(301, 303, 10).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(OperationError).with.property('code', 'MISSING_REPLAY_PREFIX');
    const unknown = await driver.fork(999, 304, 1).catch((e: unknown) => e);
    expect(unknown).to.be.instanceOf(OperationError).with.property('code', 'MISSING_REPLAY_PREFIX');
  });

  it('answers MISSING_REPLAY_PREFIX for a released context', async () => {
    const first = await driver.forward(batchOf([[401, [1, 2], 0, GREEDY]]));
    await driver.release([401]);
    const token = (first[0] as { tokens: number[] }).tokens[0]!;
    const results = await driver.forward(batchOf([[401, [token], 2, GREEDY]]));
    expect(results[0]).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
  });

  it('speaks the wire schema: a runtime reply validates against schema/wire.schema.json', async () => {
    const ajv = createAjv();
    ajv.addSchema(loadSchema('wire'));
    const reply = await (driver as unknown as { driver: { pool: { replicas: { call(m: unknown): Promise<unknown> }[] } } }).driver.pool.replicas[0]!.call({ op: 'forward', batch: batchOf([[501, [1], 0, GREEDY], [502, [2], 5, GREEDY]]) });
    const validate = ajv.getSchema('https://pie.dev/schemas/pie-driver-tensorrt-llm/wire.schema.json#/definitions/Reply')!;
    expect(validate(reply), JSON.stringify(validate.errors)).to.equal(true);
  });

  it('leaves no process behind after dispose', async () => {
    const other = simulatedDriver();
    await other.start();
    const [status] = (await other.status()) as { pid: number }[];
    expect(groupAlive(status!.pid)).to.equal(true);
    await other.dispose();
    expect(groupAlive(status!.pid)).to.equal(false);
  });
});
