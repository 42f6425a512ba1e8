/**
 * Integer arrays packed for the runtime wire: base64 of little-endian fixed-width integers
 * (python/pie_trtllm_runtime/packing.py decodes them). Parsing one JSON number per token costs
 * the Python side more than the pipe itself; a packed array is a few C calls.
 */

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toBase64(view: ArrayBufferView): string {
  if (!littleEndian) throw new Error('packing assumes a little-endian host');
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

export function packU32(values: ArrayLike<number>): string {
  return toBase64(Uint32Array.from(values));
}

export function packI32(values: ArrayLike<number>): string {
  return toBase64(Int32Array.from(values));
}

/** Context ids are Pie's u64; JavaScript numbers carry them exactly up to 2^53. Written as two
 * little-endian u32 halves each, which is the same bytes without a BigInt per id. */
export function packU64(values: ArrayLike<number>): string {
  const out = new Uint32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    out[2 * i] = value >>> 0;
    out[2 * i + 1] = Math.floor(value / 0x1_0000_0000);
  }
  return toBase64(out);
}

/** A packed u32 array from the runtime (a reply's tokens). */
export function unpackU32(text: string): Uint32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0) throw new Error('a packed u32 array must be a multiple of 4 bytes');
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  return new Uint32Array(aligned.buffer);
}
