import { expect } from 'chai';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import { TomlDocument, TomlSyntaxError } from '../../src/config/toml-document.js';

const header = '[[model]]\nname = "m"\nhf_repo = "sim/m"\n[model.driver]\ntype = "trtllm"\n';

/** `llm_kwargs` nested so that its innermost value sits `levels` below [model.driver]
 *  (options is 1, llm_kwargs 2, each inline table's key one more). */
function kwargsAtLevel(levels: number): string {
  const inner = levels - 2;
  return `device = "cuda:0"\n[model.driver.options]\nllm_kwargs = ${'{ a = '.repeat(inner)}1${' }'.repeat(inner)}\n`;
}

function syntaxErrorOf(text: string): TomlSyntaxError | undefined {
  try {
    TomlDocument.parse(text, 'f.toml');
  } catch (error) {
    return error as TomlSyntaxError;
  }
  return undefined;
}

describe('shape limits of what validate accepts', () => {
  it('reads a TOML value at level 64 and refuses one at level 65 where it is written, dotted keys, tables and arrays alike', () => {
    const dotted = (n: number) => `${Array.from({ length: n }, () => 'k').join('.')} = 1\n`;
    expect(syntaxErrorOf(dotted(64))).to.equal(undefined);
    expect(syntaxErrorOf(dotted(65))?.message).to.equal('f.toml:1:1: TOML syntax error: this value is nested 65 levels deep, past the 64 levels a file may use (tables, dotted keys and arrays each count one); flatten it');
    const table = (n: number) => `a = 1\n[${Array.from({ length: n }, () => 't').join('.')}]\n`;
    expect(syntaxErrorOf(table(64))).to.equal(undefined);
    expect(syntaxErrorOf(table(65))?.line).to.equal(2);
    const arrays = (n: number) => `x = ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}\n`; // x is level 1
    expect(syntaxErrorOf(arrays(64))).to.equal(undefined);
    expect(syntaxErrorOf(arrays(65))?.code).to.equal('TOML_SYNTAX');
    // Deep enough to exhaust the parser's own stack: refused the same way, not a crash.
    expect(syntaxErrorOf(arrays(100_000))?.message).to.equal('f.toml:1:1: TOML syntax error: values are nested too deep to read (a file may nest 64 levels); flatten them');
  });

  it('takes a driver table 32 levels deep and refuses 33, in pie.toml and through the library', () => {
    expect(validatePieToml(header + kwargsAtLevel(32)).problems).to.deep.equal([]);
    const deep = validatePieToml(header + kwargsAtLevel(33));
    expect(deep.problems).to.have.length(1);
    expect(deep.problems[0]!.path).to.equal(`model[0].driver.options.llm_kwargs${'.a'.repeat(30)}`);
    expect(deep.problems[0]!.message).to.match(/nests deeper than the 32 levels a driver table may use below \[model\.driver\]/);
    expect(deep.problems[0]!.line).to.equal(8);
    let kwargs: unknown = 1;
    for (let i = 0; i < 10_000; i++) kwargs = { a: kwargs };
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { llm_kwargs: kwargs } }).problems[0]!.message).to.match(/32 levels/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { llm_kwargs: cyclic } }).problems[0]!.message).to.match(/or refers to itself/);
  });

  it('refuses prototype keys in a driver table a host builds, at any depth', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const table = JSON.parse(`{"type":"trtllm","device":"cuda:0","options":{"llm_kwargs":{"x":{"${key}":{"a":1}}}}}`);
      expect(validateDriverTable(table).problems).to.deep.equal([{ path: `model.driver.options.llm_kwargs.x.${key}`, message: `the key "${key}" is not allowed (it names JavaScript's prototype machinery, and no setting uses it); rename or remove it` }]);
    }
  });

  it('refuses a device listed twice and an entry that names several devices', () => {
    const devices = (list: string) => validatePieToml(`${header}device = ${list}\n`).problems.map((p) => `${p.path}: ${p.message}`);
    expect(devices('["cuda:0", "cuda:1"]')).to.deep.equal([]);
    expect(devices('["cuda:0", "cuda:0"]')).to.deep.equal(['model[0].driver.device[1]: "cuda:0" is listed twice (entries 0 and 1); each device serves one rank of one replica, so list it once']);
    expect(devices('"cuda:0,cuda:1"')).to.deep.equal(['model[0].driver.device: "cuda:0,cuda:1" names several devices in one entry; list each device as its own string, e.g. device = ["cuda:0","cuda:1"]']);
    expect(devices('["cuda:0", "cuda:1 cuda:2"]')[0]).to.match(/^model\[0\]\.driver\.device\[1\]: "cuda:1 cuda:2" names several devices/);
    expect(validateDriverTable({ type: 'trtllm', device: ['cuda:3', 'cuda:2', 'cuda:3'] }).problems[0]!.path).to.equal('model.driver.device[2]');
  });
});
