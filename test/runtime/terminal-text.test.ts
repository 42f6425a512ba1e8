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
