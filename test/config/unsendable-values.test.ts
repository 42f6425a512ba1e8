import { expect } from 'chai';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { validatePieToml } from '../../src/config/pie-file-validator.js';

const header = '[[model]]\nname = "m"\nhf_repo = "sim/m"\n[model.driver]\ntype = "trtllm"\ndevice = "cuda:0"\n[model.driver.options]\n';
const at = 'model.driver.options.llm_kwargs';
const problemsOf = (kwargs: unknown) => validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { llm_kwargs: kwargs } }).problems;

// The table reaches the runtime as JSON: JSON.stringify turns inf and nan into null and drops a
// function, undefined or a Symbol. Each is refused with its path instead of changed.
describe('values JSON cannot carry to the runtime are refused with their path, never changed', () => {
  it('TOML inf, -inf and nan anywhere in llm_kwargs, at the line they are written on; a finite neighbour passes', () => {
    for (const [text, shown] of [['inf', 'inf'], ['+inf', 'inf'], ['-inf', '-inf'], ['nan', 'nan'], ['-nan', 'nan']] as const) {
      const result = validatePieToml(`${header}llm_kwargs = { max_num_tokens = ${text} }\n`);
      expect(result.problems, text).to.have.length(1);
      expect(result.problems[0]).to.include({ path: 'model[0].driver.options.llm_kwargs.max_num_tokens', line: 8 });
      expect(result.problems[0]!.message).to.equal(`is ${shown}, which cannot reach the runtime (the table travels as JSON, where it would become null); write a finite number`);
    }
    expect(validatePieToml(`${header}llm_kwargs = { max_num_tokens = 1.7976931348623157e308, list = [1, [2, 3]] }\n`).problems).to.deep.equal([]);
    expect(validatePieToml(`${header}llm_kwargs = { list = [1, [2, inf]] }\n`).problems[0]!.path).to.equal('model[0].driver.options.llm_kwargs.list[1][1]');
  });

  it('a host-built table with a function, undefined, a Symbol or a BigInt, as a value or in an array', () => {
    const cases: [unknown, string][] = [
      [() => 1, 'is a function, which cannot reach the runtime (the table travels as JSON); use a string, number, boolean, array or table'],
      [undefined, 'is undefined, which cannot reach the runtime (the table travels as JSON, where it would vanish); remove the key or give it a value'],
      [Symbol('s'), 'is a Symbol, which cannot reach the runtime (the table travels as JSON); use a string, number, boolean, array or table'],
      [10n, 'is a BigInt, which cannot reach the runtime (the table travels as JSON); use a string, number, boolean, array or table'],
    ];
    for (const [value, message] of cases) {
      expect(problemsOf({ x: value }), message).to.deep.equal([{ path: `${at}.x`, message }]);
      expect(problemsOf({ list: [1, value] }), message).to.deep.equal([{ path: `${at}.list[1]`, message }]);
    }
    expect(problemsOf({ x: null, y: [null], z: 'text', n: -0, b: false })).to.deep.equal([]);
  });

  it('array holes, keys that are not indices, Symbol keys and class instances; a TOML date passes', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(problemsOf({ list: [1, , 3] })[0]).to.include({ path: `${at}.list` });
    const huge: unknown[] = [];
    huge.length = 2 ** 32 - 1; // counted, not walked
    expect(problemsOf({ list: huge })[0]!.message).to.match(/^has missing entries \(holes\)/);
    expect(problemsOf({ list: Object.assign([1], { extra: 2 }) })[0]!.message).to.match(/keys that are not indices/);
    expect(problemsOf({ t: { [Symbol('k')]: 1 } })).to.deep.equal([{ path: `${at}.t`, message: 'has a Symbol key, which cannot reach the runtime (the table travels as JSON); use string keys' }]);
    expect(problemsOf({ m: new Map([['a', 1]]) })).to.deep.equal([{ path: `${at}.m`, message: 'is a Map, which cannot reach the runtime as it is (the table travels as JSON); use a plain table or array' }]);
    expect(problemsOf({ t: Object.create(null) as object })).to.deep.equal([]);
    expect(validatePieToml(`${header}llm_kwargs = { when = 1979-05-27T07:32:00Z }\n`).problems).to.deep.equal([]);
  });

  it('a curated option set to inf is named for what it is, besides its type', () => {
    const result = validatePieToml(`${header}max_num_tokens = inf\n`);
    expect(result.problems.map((p) => [p.path, p.message])).to.deep.include(
      ['model[0].driver.options.max_num_tokens', 'is inf, which cannot reach the runtime (the table travels as JSON, where it would become null); write a finite number'],
    );
  });
});
