import { expect } from 'chai';
import type { ForwardBatch, Sampler } from '../../src/capabilities/forward-types.js';
import { packI32, packU32, packU64, unpackU32 } from '../../src/runtime/array-packing.js';
import { encodeFrame, FrameDecoder } from '../../src/runtime/frame-codec.js';
import { OutputTail } from '../../src/runtime/output-tail.js';
import { PACK_FROM_TOKENS, packedSubBatch } from '../../src/runtime/packed-batch.js';

/** Base64 of the given bytes: the expected wire text, written byte by byte from the format. */
const bytes = (...values: number[]) => Buffer.from(values).toString('base64');
/** Little-endian u32 words as the Python side reads them (`array('I')`), for longer expectations. */
const u32 = (values: number[]) => Buffer.from(new Uint32Array(values).buffer).toString('base64');
const i32 = (values: number[]) => Buffer.from(new Int32Array(values).buffer).toString('base64');

describe('array packing (the runtime wire)', () => {
  it('writes u32 and i32 as little-endian bytes', () => {
    expect(packU32([1, 0x0102_0304])).to.equal(bytes(1, 0, 0, 0, 4, 3, 2, 1));
    expect(packI32([-1, 2])).to.equal(bytes(0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0));
  });

  it('writes a u64 context id as two halves, low first, exactly past 2^32', () => {
    expect(packU64([5])).to.equal(bytes(5, 0, 0, 0, 0, 0, 0, 0));
    expect(packU64([2 ** 32 + 5])).to.equal(bytes(5, 0, 0, 0, 1, 0, 0, 0));
    expect(packU64([2 ** 53 - 1])).to.equal(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0));
  });

  it('reads a reply\'s u32 tokens, and refuses a byte count that is not a multiple of 4', () => {
    expect([...unpackU32(bytes(7, 0, 0, 0, 0, 1, 0, 0))]).to.deep.equal([7, 256]);
    expect([...unpackU32('')]).to.deep.equal([]);
    expect(() => unpackU32(bytes(1, 2, 3, 4, 5))).to.throw('a packed u32 array must be a multiple of 4 bytes');
  });
});

describe('forward batches for the runtime', () => {
  const greedy = { type: 'top_k', temperature: 0, k: 1 } as Sampler;
  const warm = { type: 'multinomial', temperature: 0.7, seed: 3 } as Sampler;

  /** A decode step: one token per request, at position 100 + r, context 9000 + r. */
  function decodeStep(requests: number): ForwardBatch {
    return {
      token_ids: Array.from({ length: requests }, (_, r) => 10 + r),
      position_ids: Array.from({ length: requests }, (_, r) => 100 + r),
      qo_indptr: Array.from({ length: requests + 1 }, (_, r) => r),
      context_ids: Array.from({ length: requests }, (_, r) => 9000 + r),
    };
  }

  it('sends a small batch as plain arrays with each distinct sampler once', () => {
    const batch: ForwardBatch = { token_ids: [1, 2, 3, 4, 5], position_ids: [0, 1, 2, 0, 7], qo_indptr: [0, 3, 4, 5], context_ids: [11, 12, 13] };
    expect(packedSubBatch(batch, [0, 2], [greedy, undefined, { ...greedy }])).to.deep.equal({
      token_ids: [1, 2, 3, 5], position_ids: [0, 1, 2, 7], qo_indptr: [0, 3, 4], context_ids: [11, 13], sampler_table: [greedy], sampler_index: [0, 0],
    });
    expect(packedSubBatch(batch, [1, 0], [warm, undefined, greedy])).to.deep.equal({
      token_ids: [4, 1, 2, 3], position_ids: [0, 0, 1, 2], qo_indptr: [0, 1, 4], context_ids: [12, 11], sampler_table: [warm], sampler_index: [-1, 0],
    });
  });

  it('gives a sampler that differs from the one before it in any single field an entry of its own', () => {
    const samplers = [
      { type: 'top_k_top_p', temperature: 0.7, k: 40, p: 0.9 },
      { type: 'top_k_top_p', temperature: 0.8, k: 40, p: 0.9 },
      { type: 'top_k_top_p', temperature: 0.8, k: 20, p: 0.9 },
      { type: 'top_k_top_p', temperature: 0.8, k: 20, p: 0.5 },
      { type: 'top_p', temperature: 0.8, p: 0.5 },
      { type: 'min_p', temperature: 0.8, p: 0.5 },
      { type: 'multinomial', temperature: 0.8, seed: 1 },
      { type: 'multinomial', temperature: 0.8, seed: 2 },
      { type: 'multinomial', temperature: 0.8, seed: 2 },
    ] as Sampler[];
    const sent = packedSubBatch(decodeStep(9), [0, 1, 2, 3, 4, 5, 6, 7, 8], samplers) as { sampler_table: Sampler[]; sampler_index: number[] };
    expect(sent.sampler_table).to.deep.equal(samplers.slice(0, 8));
    expect(sent.sampler_index).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 7]);
  });

  it('keeps only a sampler\'s known fields', () => {
    const noisy = { type: 'top_p', temperature: 1, p: 0.9, extra: 'x' } as unknown as Sampler;
    expect(packedSubBatch(decodeStep(1), [0], [noisy]).sampler_table).to.deep.equal([{ type: 'top_p', temperature: 1, p: 0.9 }]);
  });

  it('packs a decode step of one shared sampler without the arrays the step implies', () => {
    const n = PACK_FROM_TOKENS;
    const indices = Array.from({ length: n }, (_, r) => r);
    const packed = packedSubBatch(decodeStep(n), indices, indices.map(() => ({ ...greedy })));
    expect(packed).to.deep.equal({
      packed: {
        token_ids: u32(indices.map((r) => 10 + r)),
        position_ids: u32(indices.map((r) => 100 + r)),
        context_ids: u32(indices.flatMap((r) => [9000 + r, 0])),
      },
      sampler_table: [greedy],
    });
  });

  it('sends qo_indptr once a request has more than one token, and sampler_index once any request does not use the first sampler', () => {
    const n = PACK_FROM_TOKENS;
    const indices = Array.from({ length: n }, (_, r) => r);
    const step = decodeStep(n);
    const mixed = packedSubBatch(step, indices, indices.map((r) => (r === 5 ? warm : greedy))) as { packed: Record<string, string>; sampler_table: Sampler[] };
    expect(mixed.sampler_table).to.deep.equal([greedy, warm]);
    expect(mixed.packed.sampler_index).to.equal(i32(indices.map((r) => (r === 5 ? 1 : 0))));
    expect(mixed.packed).to.not.have.property('qo_indptr');

    const prefillOnly = packedSubBatch(step, indices, indices.map((r) => (r === 0 ? undefined : greedy))) as { packed: Record<string, string> };
    expect(prefillOnly.packed.sampler_index, 'one table entry, but a request without a sampler').to.equal(i32(indices.map((r) => (r === 0 ? -1 : 0))));

    const first = packedSubBatch(step, indices, indices.map((r) => (r === 0 ? warm : greedy))) as { packed: Record<string, string> };
    expect(first.packed.sampler_index, 'two samplers, the first request on the first').to.equal(i32(indices.map((r) => (r === 0 ? 0 : 1))));

    const prefill: ForwardBatch = { token_ids: Array.from({ length: n }, (_, i) => i), position_ids: Array.from({ length: n }, (_, i) => i), qo_indptr: [0, n - 2, n], context_ids: [1, 2] };
    const chunked = packedSubBatch(prefill, [0, 1], [greedy, greedy]) as { packed: Record<string, string> };
    expect(chunked.packed.qo_indptr).to.equal(u32([0, n - 2, n]));
    expect(chunked.packed).to.not.have.property('sampler_index');
  });
});

describe('frames', () => {
  it('reassembles frames split across chunks and several in one chunk', () => {
    const seen: string[] = [];
    const decoder = new FrameDecoder((payload) => seen.push(payload.toString('utf8')));
    const stream = Buffer.concat([encodeFrame({ id: 1 }), encodeFrame({ id: 2, text: 'é' }), encodeFrame({ id: 3 })]);
    // The first frame is 4 + 8 bytes: cut inside its length, inside its body, and after the second.
    decoder.push(stream.subarray(0, 2));
    decoder.push(stream.subarray(2, 9));
    expect(seen).to.deep.equal([]);
    expect(decoder.buffered).to.equal(9);
    decoder.push(stream.subarray(9, 12 + 4 + 20));
    expect(seen).to.deep.equal(['{"id":1}', '{"id":2,"text":"é"}']);
    decoder.push(stream.subarray(36));
    expect(seen).to.deep.equal(['{"id":1}', '{"id":2,"text":"é"}', '{"id":3}']);
    expect(decoder.buffered).to.equal(0);
  });

  it('takes a frame of exactly the limit and refuses one byte more without gathering it', () => {
    const header = (length: number) => Buffer.from([length & 0xff, (length >> 8) & 0xff, 0, 0]);
    const seen: number[] = [];
    const oversized: number[] = [];
    const decoder = new FrameDecoder((payload) => seen.push(payload.length), (length) => oversized.push(length), 300);
    decoder.push(Buffer.concat([header(300), Buffer.alloc(300, 0x20)]));
    expect(seen).to.deep.equal([300]);
    decoder.push(header(301));
    expect(oversized).to.deep.equal([301]);
    decoder.push(Buffer.alloc(301, 0x20));
    expect(decoder.buffered, 'a broken stream is not read on').to.equal(0);
    expect(seen).to.deep.equal([300]);
    expect(oversized).to.deep.equal([301]);
  });

  it('gathers a frame sent a byte at a time in time linear in its size', () => {
    const frame = encodeFrame({ text: 'x'.repeat(200_000) });
    let got = '';
    const decoder = new FrameDecoder((payload) => (got = payload.toString('utf8')));
    // Joined once per frame: 200 kB a byte at a time would take minutes if every push copied.
    for (let i = 0; i < frame.length; i++) decoder.push(frame.subarray(i, i + 1));
    expect(got).to.equal(JSON.stringify({ text: 'x'.repeat(200_000) }));
  });

  it('writes the UTF-8 byte length, little-endian, before the body', () => {
    expect([...encodeFrame('é')]).to.deep.equal([4, 0, 0, 0, 0x22, 0xc3, 0xa9, 0x22]);
  });
});

describe('output tail', () => {
  it('keeps the last bytes, trimmed, and holds no more than the limit plus one chunk', () => {
    const tail = new OutputTail(10);
    for (let i = 0; i < 100; i++) tail.push(`line ${String(i).padStart(3, '0')}\n`);
    expect(tail.text()).to.equal('line 099');
    expect(tail.retainedBytes, 'at least the limit, under the limit plus one chunk').to.be.within(10, 10 + 9 - 1);
    const spaced = new OutputTail();
    spaced.push('  Traceback\n');
    spaced.push(Buffer.from('RuntimeError: boom \n\n'));
    expect(spaced.text()).to.equal('Traceback\nRuntimeError: boom');
  });

  it('holds at most twice the limit whatever the size of a chunk', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.alloc(1_000_000, 'a'));
    expect(tail.retainedBytes).to.equal(10);
    tail.push('b'.repeat(11));
    expect(tail.retainedBytes).to.equal(10);
    expect(tail.text()).to.equal('b'.repeat(10));
    tail.push('c'.repeat(9));
    expect(tail.retainedBytes, 'the previous chunk is still needed for the last 10 bytes').to.equal(19);
    expect(tail.text()).to.equal(`b${'c'.repeat(9)}`);
  });
});
