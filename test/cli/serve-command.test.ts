import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { MAX_REQUEST_LINE_BYTES } from '../../src/cli/commands/serve-command.js';
import { groupAlive } from '../helpers/process-state.js';
import { batchOf, greedyContinuation, GREEDY } from '../helpers/driver-fixture.js';
import { repoRoot } from '../helpers/package-paths.js';
import { ServeSession } from '../helpers/serve-session.js';

const example = join(repoRoot, 'examples', 'pie.toml');

describe('cli: serve --stdio (simulated)', function () {
  this.timeout(60_000);

  it('answers hostile lines with INVALID_REQUEST and id null where the id cannot be echoed, and stops when stdin closes', async () => {
    const serve = new ServeSession(['--config', example, '--simulate']);
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const line of [
      `{"op":"bogus","id":${deep}}`,
      '{"id":1e400,"op":"status"}',
      `{"id":${2n ** 100n},"op":"status"}`,
      `{"id":5,"op":"forward","batch":{"context_ids":[1],"token_ids":[1],"position_ids":[0],"qo_indptr":[0,1],"samplers":[{"type":"top_p","temperature":0,"p":1,"x":${deep}}],"sampler_indptr":[0,1]}}`,
    ]) {
      serve.send(line);
      const reply = await serve.next();
      if (reply.id === 5) {
        expect(reply.results[0].error.code).to.equal('INVALID_REQUEST');
      } else {
        expect(reply.id).to.equal(null);
        expect(reply.error.code).to.equal('INVALID_REQUEST');
      }
    }
    // 8,000,000 context ids (16 MB) and no qo_indptr: refused whole, at once, under its id.
    const huge = `{"id":6,"op":"forward","batch":{"context_ids":[${new Array(8_000_000).fill(1).join(',')}],"token_ids":[],"position_ids":[]}}`;
    serve.send(huge);
    const refused = await serve.next();
    expect(refused.id).to.equal(6);
    expect(refused.error.code).to.equal('INVALID_REQUEST');
    expect(refused.error.message).to.match(/8000000 requests, above max_forward_requests \(128\)/);
    // A line of exactly the bound is read; one byte more is dropped unread, and serving goes on.
    const status = '{"id":8,"op":"status"}';
    serve.send(status + ' '.repeat(MAX_REQUEST_LINE_BYTES - status.length));
    expect((await serve.next()).id).to.equal(8);
    serve.send(status + ' '.repeat(MAX_REQUEST_LINE_BYTES - status.length + 1));
    const overlong = await serve.next();
    expect(overlong).to.deep.include({ id: null });
    expect(overlong.error).to.deep.equal({ code: 'INVALID_REQUEST', message: `a line of ${64 * 1024 * 1024 + 1} bytes is above the ${64 * 1024 * 1024}-byte limit; it was dropped unread (send smaller batches)` });
    // A prototype key in a message is data, not the message's prototype.
    serve.send('{"id":9,"op":"status","__proto__":{"op":"shutdown","id":0}}');
    expect((await serve.next()).replicas).to.have.length(1);
    serve.send('{"id":10,"__proto__":{"op":"shutdown"}}');
    expect((await serve.next()).error.code).to.equal('INVALID_REQUEST');
    // Still serving, and closing stdin ends it.
    expect((await serve.call({ id: 7, op: 'forward', batch: batchOf([[3, [4, 5], 0, GREEDY]]) })).results).to.deep.equal([{ tokens: greedyContinuation([4, 5], 1) }]);
    serve.endInput();
    expect(await serve.exited).to.equal(0);
  });

  it('answers the session docs/hosts.md shows, line by line, with the replies it shows', async () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'hosts.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## `serve --stdio`'));
    const rows = [...section.matchAll(/^\| `(\{"id":\d+,"op":[^`]+\})` \| `(\{[^`]+\})`/gm)].map((m) => ({ request: m[1]!, reply: m[2]! }));
    expect(rows.map((r) => JSON.parse(r.request).op)).to.deep.equal(['capabilities', 'forward', 'fork', 'release', 'status', 'shutdown']);
    const serve = new ServeSession(['--config', example, '--simulate']);
    for (const { request, reply } of rows) {
      serve.send(request);
      const got = await serve.next();
      // The documented reply's keys, with "..." standing for content: the same keys come back.
      const shown = reply.replace(/\.\.\./g, '').replace(/\{"device"[^\]]*\}/, '{}');
      const keys = Object.keys(JSON.parse(shown.replace(/\[\{"tokens":\[\]\}\]/, '[]').replace(/\{\}/g, '{}')));
      expect(Object.keys(got), request).to.deep.equal(keys);
      expect(got.error, request).to.equal(undefined);
    }
    expect(await serve.exited).to.equal(0);
  });

  it('answers every op of the protocol', async () => {
    const serve = new ServeSession(['--config', example, '--simulate']);
    const caps = await serve.call({ id: 1, op: 'capabilities' });
    expect(caps.id).to.equal(1);
    expect(caps.capabilities).to.include({ supports_user_attention_mask: false, supports_adapters: false, vocab_size: 32000 });
    expect(caps.capabilities.replicas).to.have.length(1);

    const forward = await serve.call({ id: 2, op: 'forward', batch: batchOf([[7, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 0, GREEDY], [8, [1], 0]]) });
    expect(forward).to.deep.equal({ id: 2, results: [{ tokens: greedyContinuation([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1) }, { tokens: [] }] });

    expect(await serve.call({ id: 3, op: 'fork', parent: 7, child: 9, length: 12 })).to.deep.equal({ id: 3, ok: true });
    const child = await serve.call({ id: 4, op: 'forward', batch: batchOf([[9, [5], 12, GREEDY]]) });
    expect(child.results).to.deep.equal([{ tokens: greedyContinuation([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 5], 1) }]);

    expect(await serve.call({ id: 5, op: 'release', context_ids: [7] })).to.deep.equal({ id: 5, ok: true });
    const released = await serve.call({ id: 6, op: 'forward', batch: batchOf([[7, [3], 12, GREEDY]]) });
    expect(released.results[0].error.code).to.equal('MISSING_REPLAY_PREFIX');

    const status = await serve.call({ id: 7, op: 'status' });
    expect(status.replicas).to.have.length(1);
    const replica = status.replicas[0];
    expect(replica).to.include({ device: 'cuda:0', state: 'ready', restarts: 0, engine_calls: 2, tokens_generated: 2 });
    expect(replica.pid).to.be.a('number');

    expect(await serve.call({ id: 8, op: 'shutdown' })).to.deep.equal({ id: 8, ok: true });
    expect(await serve.exited).to.equal(0);
    expect(groupAlive(replica.pid)).to.equal(false);
  });

  it('answers malformed lines, unknown ops and bad batches with INVALID_REQUEST and keeps serving', async () => {
    const serve = new ServeSession(['--config', example, '--simulate']);
    serve.send('{not json');
    expect((await serve.next()).error.code).to.equal('INVALID_REQUEST');
    serve.send('[1,2]');
    expect(await serve.next()).to.have.nested.property('error.code', 'INVALID_REQUEST');
    expect(await serve.call({ id: 'a', op: 'teleport' })).to.deep.include({ id: 'a' }).and.have.nested.property('error.code', 'INVALID_REQUEST');
    expect((await serve.call({ id: 2, op: 'forward', batch: 5 })).error.code).to.equal('INVALID_REQUEST');
    const disagree = await serve.call({ id: 3, op: 'forward', batch: batchOf([[1, [1], 0, GREEDY], [2, [2], 0, GREEDY]], { qo_indptr: [0, 1] }) });
    expect(disagree.results.map((r: any) => r.error.code)).to.deep.equal(['INVALID_REQUEST', 'INVALID_REQUEST']);
    expect((await serve.call({ id: 4, op: 'fork', parent: 1, child: 2, length: 'x' })).error.code).to.equal('INVALID_REQUEST');
    expect((await serve.call({ id: 5, op: 'fork', parent: 55, child: 56, length: 3 })).error.code).to.equal('MISSING_REPLAY_PREFIX');
    const ok = await serve.call({ id: 6, op: 'forward', batch: batchOf([[1, [1], 0, GREEDY]]) });
    expect(ok.results).to.deep.equal([{ tokens: greedyContinuation([1], 1) }]);
    const status = await serve.call({ id: 7, op: 'status' });
    expect(status.replicas[0].restarts).to.equal(0);
    serve.endInput();
    expect(await serve.exited).to.equal(0);
    expect(groupAlive(status.replicas[0].pid)).to.equal(false);
  });

  it('refuses to start with a clear line when the config does not validate or names an unknown model', async () => {
    const bad = new ServeSession(['--config', join(repoRoot, 'test', 'fixtures', 'config', 'topology', 'tp-two-on-one-device.toml'), '--simulate']);
    expect(await bad.exited).to.equal(1);
    expect(bad.stderr).to.contain('tensor_parallel_size: tensor_parallel_size 2 × pipeline_parallel_size 1 = 2 devices per replica does not divide the 1 device in `device`; list a multiple of 2 devices, or lower the sizes');
    const unknown = new ServeSession(['--config', example, '--simulate', '--model', 'nope']);
    expect(await unknown.exited, 'an unknown --model is a usage error').to.equal(2);
    expect(unknown.stderr).to.contain('no tensorrt_llm model named "nope"');
    expect(unknown.stderr).not.to.match(/\n\s+at /);
  });
});
