import { expect } from 'chai';
import { StderrLogger } from '../../src/runtime/logger.js';
import { hasControlCharacters, terminalSafe } from '../../src/runtime/terminal-text.js';

describe('terminal-safe text', () => {
  it('escapes newlines, escape sequences, C1 controls and DEL, and keeps tabs and ordinary text', () => {
    expect(terminalSafe('qwen\n[pie-trtllm] error: forged')).to.equal('qwen\\u000a[pie-trtllm] error: forged');
    expect(terminalSafe('\u001b[2J\u009b\u007f')).to.equal('\\u001b[2J\\u009b\\u007f');
    expect(terminalSafe('a\tb — ü')).to.equal('a\tb — ü');
    expect(hasControlCharacters('ok')).to.equal(false);
    expect(hasControlCharacters('x\ry')).to.equal(true);
  });

  it('escapes the bidirectional formatting characters that reorder what is read (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and keeps right-to-left text', () => {
    const bidi = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];
    for (const code of bidi) {
      const c = String.fromCharCode(code);
      expect(terminalSafe(`a${c}b`), code.toString(16)).to.equal(`a\\u${code.toString(16).padStart(4, '0')}b`);
    }
    // Just outside each range: kept.
    for (const code of [0x061b, 0x061d, 0x200d, 0x2010, 0x2027, 0x202f, 0x2065, 0x206a]) {
      expect(terminalSafe(String.fromCharCode(code)), code.toString(16)).to.equal(String.fromCharCode(code));
    }
    expect(terminalSafe('שלום عربي')).to.equal('שלום عربي');
    expect(hasControlCharacters('/opt/\u202eevn')).to.equal(true);
  });

  it('is what the logger writes: a model name or runtime line cannot split or forge a log line', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as unknown as typeof process.stderr.write;
    try {
      const logger = new StderrLogger(true);
      logger.warn('model evil\n[pie-trtllm] error: fake');
      logger.runtime('cuda:0', 'loading \u001b[31mred\u001b[0m');
    } finally {
      process.stderr.write = original;
    }
    expect(written).to.deep.equal([
      '[pie-trtllm] warning: model evil\\u000a[pie-trtllm] error: fake\n',
      '[runtime cuda:0] loading \\u001b[31mred\\u001b[0m\n',
    ]);
  });
});
