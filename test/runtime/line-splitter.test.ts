import { expect } from 'chai';
import { Readable } from 'node:stream';
import { boundedLines, LineSplitter, type SplitLine } from '../../src/runtime/line-splitter.js';

function split(chunks: string[], maxBytes: number, carriageReturnRedraws = false): SplitLine[] {
  const splitter = new LineSplitter({ maxBytes, carriageReturnRedraws });
  return [...chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk))), ...splitter.end()];
}

describe('line splitter', () => {
  it('passes a line of exactly the bound and drops one byte more, counting what it dropped', () => {
    expect(split(['abcd\n'], 4)).to.deep.equal([{ line: 'abcd' }]);
    expect(split(['abc\n'], 4)).to.deep.equal([{ line: 'abc' }]);
    expect(split(['abcde\n'], 4)).to.deep.equal([{ overlong: 5 }]);
    // The same across chunks, and the line after an overlong one is read whole.
    expect(split(['ab', 'cd', 'e', 'fg\nxy', '\n'], 4)).to.deep.equal([{ overlong: 7 }, { line: 'xy' }]);
    expect(split(['ab', 'cd\n'], 4)).to.deep.equal([{ line: 'abcd' }]);
  });

  it('ends a last line without a newline, strips a CRLF split across chunks, and keeps UTF-8 split across chunks whole', () => {
    expect(split(['a\nb'], 4)).to.deep.equal([{ line: 'a' }, { line: 'b' }]);
    expect(split(['a\r', '\nb\r\n'], 4)).to.deep.equal([{ line: 'a' }, { line: 'b' }]);
    const euro = Buffer.from('€'); // three bytes
    const splitter = new LineSplitter({ maxBytes: 3 });
    expect(splitter.push(euro.subarray(0, 1))).to.deep.equal([]);
    expect(splitter.push(Buffer.concat([euro.subarray(1), Buffer.from('\n')]))).to.deep.equal([{ line: '€' }]);
  });

  it('keeps only the last redraw of a line drawn with carriage returns, when asked', () => {
    expect(split(['10%\r20%\r', '30%\n'], 8, true)).to.deep.equal([{ line: '30%' }]);
    expect(split(['10%\r', '20%', '\r\n'], 8, true)).to.deep.equal([{ line: '20%' }]);
    expect(split(['10%\r20%\n'], 8)).to.deep.equal([{ line: '10%\r20%' }]);
    // A redraw ends an overlong state: the line shown is the last one drawn.
    expect(split(['x'.repeat(20), '\rok\n'], 8, true)).to.deep.equal([{ line: 'ok' }]);
    // The shortest redraw a piece can hold: a carriage return and one byte after it.
    expect(split(['old', '\rA\n'], 8, true)).to.deep.equal([{ line: 'A' }]);
    expect(split(['old', '\r', 'A\n'], 8, true)).to.deep.equal([{ line: 'A' }]);
  });

  it('holds no more than the bound through 100 MB without a newline', () => {
    const splitter = new LineSplitter({ maxBytes: 64 * 1024, carriageReturnRedraws: true });
    const bar = Buffer.from(`${'#'.repeat(1000)} 50%\r`);
    const plain = new LineSplitter({ maxBytes: 64 * 1024 });
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      expect(splitter.push(bar)).to.deep.equal([]);
      plain.push(bar);
      most = Math.max(most, splitter.heldBytes, plain.heldBytes);
    }
    expect(most).to.be.at.most(64 * 1024);
    expect(splitter.end()).to.deep.equal([{ line: `${'#'.repeat(1000)} 50%` }]);
    expect(plain.end()).to.deep.equal([{ overlong: 100_000 * bar.length }]);
  });

  it('reads a stream with backpressure, strings and buffers alike', async () => {
    const lines: SplitLine[] = [];
    for await (const line of boundedLines(Readable.from(['one\ntw', Buffer.from('o\nthree')]), { maxBytes: 4 })) lines.push(line);
    expect(lines).to.deep.equal([{ line: 'one' }, { line: 'two' }, { overlong: 5 }]);
  });
});
