import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { expect } from 'chai';
import { ConfigError } from '../../src/config/config-error.js';
import { formatProblem, pathSegments, tomlPath } from '../../src/config/config-problem.js';
import { ConfigFileError, validatePieFile, validatePieToml } from '../../src/config/pie-file-validator.js';
import { describeValue, formatAjvErrors, suggestKey } from '../../src/config/problem-formatter.js';
import { TomlDocument, TomlSyntaxError } from '../../src/config/toml-document.js';

// Every expected message below is written out from the wording rules in docs/operators.md
// ("what was expected, what was found"), not produced by the formatter under test.

/** One Ajv error, as Ajv reports it, with only what the formatter reads. */
function ajvError(keyword: string, params: Record<string, unknown>, parentSchema: Record<string, unknown>, data: unknown, instancePath = '/x', message?: string): ErrorObject {
  return { keyword, params, parentSchema, data, instancePath, schemaPath: '#', message } as ErrorObject;
}

const one = (error: ErrorObject) => formatAjvErrors([error], ['model', 'driver']);

/** What parsing `text` throws, if anything. */
function syntaxErrorOf(text: string, file?: string): TomlSyntaxError | undefined {
  try {
    TomlDocument.parse(text, file);
  } catch (caught) {
    return caught as TomlSyntaxError;
  }
  return undefined;
}

describe('configuration messages: what each value is called', () => {
  it('names every kind of TOML value, with the value when it is short', () => {
    expect(describeValue(undefined)).to.equal('nothing');
    expect(describeValue([])).to.equal('an empty array');
    expect(describeValue([1, 'a'])).to.equal('an array ([1,"a"])');
    expect(describeValue(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).to.equal('a date-time (2026-01-02T03:04:05.000Z)');
    expect(describeValue({ a: 1 })).to.equal('a table');
    expect(describeValue(null)).to.equal('null');
    expect(describeValue('cuda:0')).to.equal('the string "cuda:0"');
    expect(describeValue(3)).to.equal('the integer 3');
    expect(describeValue(2.5)).to.equal('the number 2.5');
    expect(describeValue(10n)).to.equal('the integer 10');
    expect(describeValue(true)).to.equal('the boolean true');
    expect(describeValue(false)).to.equal('the boolean false');
  });

  it('cuts a value longer than 60 characters to 57 and an ellipsis, and keeps one of exactly 60', () => {
    const sixty = `"${'a'.repeat(58)}"`; // 60 characters once quoted
    expect(describeValue('a'.repeat(58))).to.equal(`the string ${sixty}`);
    const long = 'b'.repeat(59); // 61 once quoted
    expect(describeValue(long)).to.equal(`the string "${'b'.repeat(56)}...`);
    // [1,1,…] of 40 ones is 81 characters: the bracket and 28 "1," pairs are kept.
    expect(describeValue(Array.from({ length: 40 }, () => 1))).to.equal(`an array ([${'1,'.repeat(28)}...)`);
  });
});

describe('configuration messages: one per fault, in TOML words', () => {
  it('says which types were expected, naming an array of strings as such', () => {
    const device = ajvError('type', { type: ['string', 'array'] }, { type: ['string', 'array'], items: { type: 'string' } }, 5, '/device');
    expect(one(device)).to.deep.equal([{ path: 'model.driver.device', message: 'expected a string or an array of strings, found the integer 5' }]);
    const plainArray = ajvError('type', { type: 'array' }, { type: 'array', items: { type: 'integer' } }, 'x', '/list');
    expect(one(plainArray)[0]!.message).to.equal('expected an array, found the string "x"');
    const noItems = ajvError('type', { type: 'array' }, { type: 'array' }, 1, '/list');
    expect(one(noItems)[0]!.message).to.equal('expected an array, found the integer 1');
    const each = ajvError('type', { type: ['integer', 'number', 'boolean', 'object', 'null'] }, {}, 'x');
    expect(one(each)[0]!.message).to.equal('expected an integer or a number or a boolean or a table or null, found the string "x"');
  });

  it('lists allowed values and constants as JSON', () => {
    expect(one(ajvError('enum', { allowedValues: ['latency', 'balanced'] }, {}, 'fast'))[0]!.message).to.equal('expected one of "latency", "balanced", found the string "fast"');
    expect(one(ajvError('const', { allowedValue: 1 }, {}, 2))[0]!.message).to.equal('expected 1, found the integer 2');
  });

  it('states a bound as the whole range the schema allows, integer or number', () => {
    const atLeastOne = ajvError('minimum', { limit: 1 }, { type: 'integer', minimum: 1 }, 0);
    expect(one(atLeastOne)[0]!.message).to.equal('expected an integer ≥ 1, found the integer 0');
    const both = ajvError('maximum', { limit: 16 }, { type: 'integer', minimum: 0, maximum: 16 }, 17);
    expect(one(both)[0]!.message).to.equal('expected an integer ≥ 0 and ≤ 16, found the integer 17');
    const fraction = ajvError('exclusiveMaximum', { limit: 1 }, { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, 1);
    expect(one(fraction)[0]!.message).to.equal('expected a number > 0 and < 1, found the integer 1');
    const upToTen = ajvError('exclusiveMinimum', { limit: 0 }, { type: 'number', exclusiveMinimum: 0, maximum: 10 }, 0);
    expect(one(upToTen)[0]!.message).to.equal('expected a number in (0, 10], found the integer 0');
    const above = ajvError('exclusiveMinimum', { limit: 0.5 }, { type: 'number', exclusiveMinimum: 0.5 }, 0.25);
    expect(one(above)[0]!.message).to.equal('expected a number > 0.5, found the number 0.25');
    const atMost = ajvError('maximum', { limit: 8 }, { type: 'integer', maximum: 8 }, 9);
    expect(one(atMost)[0]!.message).to.equal('expected an integer ≤ 8, found the integer 9');
    const below = ajvError('exclusiveMaximum', { limit: 2 }, { exclusiveMaximum: 2 }, 2);
    expect(one(below)[0]!.message).to.equal('expected a number < 2, found the integer 2');
    const lowerExclusiveUpperInclusive = ajvError('minimum', { limit: 1 }, { type: 'integer', exclusiveMinimum: 1, maximum: 4 }, 1);
    expect(one(lowerExclusiveUpperInclusive)[0]!.message).to.equal('expected an integer > 1 and ≤ 4, found the integer 1');
  });

  it('falls back to the keyword and its limit when the schema states no range', () => {
    const cases: [string, string][] = [['minimum', '≥'], ['maximum', '≤'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<']];
    for (const [keyword, op] of cases) {
      expect(one(ajvError(keyword, { limit: 3 }, {}, 7))[0]!.message, keyword).to.equal(`expected a number ${op} 3, found the integer 7`);
    }
  });

  it('words empty values, forbidden keys and other keywords', () => {
    expect(one(ajvError('minItems', { limit: 1 }, {}, []))[0]!.message).to.equal('expected a non-empty array, found an empty array');
    expect(one(ajvError('minLength', { limit: 1 }, {}, ''))[0]!.message).to.equal('expected a non-empty string, found the string ""');
    expect(one(ajvError('not', {}, {}, 'x'))[0]!.message).to.equal('is not allowed here');
    expect(one(ajvError('pattern', { pattern: '^a' }, {}, 'b', '/x', 'must match pattern "^a"'))[0]!.message).to.equal('must match pattern "^a", found the string "b"');
    expect(one(ajvError('format', {}, {}, 'b'))[0]!.message).to.equal('is invalid, found the string "b"');
  });

  it('uses the schema own message for a keyword when it gives one', () => {
    const custom = ajvError('const', { allowedValue: 1 }, { const: 1, 'x-message': { const: 'must be 1 for this driver' } }, 2);
    expect(one(custom)[0]!.message).to.equal('must be 1 for this driver');
    const otherKeyword = ajvError('type', { type: 'integer' }, { type: 'integer', 'x-message': { const: 'unused' } }, 'x');
    expect(one(otherKeyword)[0]!.message).to.equal('expected an integer, found the string "x"');
  });

  it('drops the wrapper keywords whose branches say what is wrong', () => {
    for (const keyword of ['if', 'oneOf', 'anyOf', 'allOf']) expect(one(ajvError(keyword, {}, {}, 1)), keyword).to.deep.equal([]);
  });

  it('names an unknown key with the nearest known one, or lists the keys a user may write', () => {
    const schema = { properties: { lookahead_tokens: {}, max_seq_len: {}, cpu_pages: { not: {} } } };
    const typo = ajvError('additionalProperties', { additionalProperty: 'lookahed_tokens' }, schema, { lookahed_tokens: 1 }, '/options');
    expect(one(typo)).to.deep.equal([{ path: 'model.driver.options.lookahed_tokens', message: 'unknown key; did you mean `lookahead_tokens`?' }]);
    // A key the schema forbids is never suggested, and far-off keys get the list of allowed ones.
    const forbidden = ajvError('additionalProperties', { additionalProperty: 'cpu_page' }, schema, {}, '/options');
    expect(one(forbidden)[0]!.message).to.equal('unknown key; expected one of `lookahead_tokens`, `max_seq_len`');
    const none = ajvError('additionalProperties', { additionalProperty: 'zzz' }, {}, {}, '/options');
    expect(one(none)[0]!.message).to.equal('unknown key; expected one of ');
  });

  it('suggests a key within max(2, a third of its length) edits, and no further', () => {
    expect(suggestKey('anything', [])).to.equal(undefined);
    expect(suggestKey('abcxy', ['abcde'])).to.equal('abcde'); // 2 edits, 5 characters: allowed 2
    expect(suggestKey('abxyz', ['abcde'])).to.equal(undefined); // 3 edits, allowed 2
    expect(suggestKey('abcdefghi', ['abcdefxyz'])).to.equal('abcdefxyz'); // 3 edits, 9 characters: allowed 3
    expect(suggestKey('abcdefghi', ['abcdewxyz'])).to.equal(undefined); // 4 edits, allowed 3
  });

  it('names a missing key in the path', () => {
    expect(one(ajvError('required', { missingProperty: 'device' }, {}, {}, ''))).to.deep.equal([{ path: 'model.driver.device', message: 'is required but missing' }]);
  });

  it('turns instance paths into TOML paths: indices in brackets, escapes undone, odd keys quoted', () => {
    const error = ajvError('type', { type: 'string' }, {}, 1, '/model/0/driver/a~1b~0c/12a');
    expect(formatAjvErrors([error])).to.deep.equal([{ path: 'model[0].driver."a/b~c".12a', message: 'expected a string, found the integer 1' }]);
    expect(formatAjvErrors([ajvError('type', { type: 'object' }, {}, 1, '')])).to.deep.equal([{ path: '(file)', message: 'expected a table, found the integer 1' }]);
  });

  it('reports each fault once, and a wrong type alone on its path', () => {
    const wrongType = ajvError('type', { type: 'integer' }, { type: 'integer', minimum: 1 }, 'x', '/a');
    const boundOnSamePath = ajvError('minimum', { limit: 1 }, { type: 'integer', minimum: 1 }, 'x', '/a');
    const boundElsewhere = ajvError('minimum', { limit: 1 }, { type: 'integer', minimum: 1 }, 0, '/b');
    const problems = formatAjvErrors([boundOnSamePath, wrongType, wrongType, boundElsewhere, boundElsewhere]);
    expect(problems).to.deep.equal([
      { path: 'a', message: 'expected an integer, found the string "x"' },
      { path: 'b', message: 'expected an integer ≥ 1, found the integer 0' },
    ]);
  });
});

describe('configuration messages: paths, lines and errors', () => {
  it('formats a problem with its file and line only when both are known', () => {
    expect(formatProblem({ path: 'a.b', message: 'm', line: 3 }, 'pie.toml')).to.equal('a.b: m (pie.toml:3)');
    expect(formatProblem({ path: 'a.b', message: 'm' }, 'pie.toml')).to.equal('a.b: m');
    expect(formatProblem({ path: 'a.b', message: 'm', line: 3 })).to.equal('a.b: m');
    expect(tomlPath([0, 'a', 'b c', 'd-e_1'])).to.equal('[0].a."b c".d-e_1');
    expect(tomlPath(['first key', 'x'])).to.equal('first key.x');
  });

  it('turns a path back into its segments, quoted keys holding dots, brackets and escaped quotes included', () => {
    expect(pathSegments('model[0].driver.options.lookahead_tokens')).to.deep.equal(['model', 0, 'driver', 'options', 'lookahead_tokens']);
    expect(pathSegments('model[12]."a.b"."c[1]".x')).to.deep.equal(['model', 12, 'a.b', 'c[1]', 'x']);
    expect(pathSegments('model[0]."q\\"x"."\\\\".y')).to.deep.equal(['model', 0, 'q"x', '\\', 'y']);
    expect(pathSegments('[3]."a b"')).to.deep.equal([3, 'a b']);
    const segments = [0, 'driver', 'a.b', 'say "hi"', 'back\\slash', 'k[2]', 7, 'plain'];
    expect(pathSegments(tomlPath(segments)), 'what tomlPath writes').to.deep.equal(segments);
  });

  it('finds the line of a problem under a quoted key', () => {
    const text = ['[[model]]', 'name = "m"', 'hf_repo = "org/m"', '[model.driver]', 'type = "tensorrt_llm"', 'device = "cuda:0"', '"a.b" = 1', '"q\\"x" = 2'].join('\n');
    expect(validatePieToml(text).problems.map((p) => [p.line, p.path])).to.deep.equal([
      [7, 'model[0].driver."a.b"'],
      [8, 'model[0].driver."q\\"x"'],
    ]);
  });

  it('places a missing value or key part where the written text stops, not on the next line', () => {
    const at = (text: string) => {
      const error = syntaxErrorOf(text, 'pie.toml') as TomlSyntaxError;
      return [error.line, error.column, error.reason];
    };
    // Columns are 1-based: just past the last character written on the line at fault.
    expect(at('a = \n')).to.deep.equal([1, 4, 'Unspecified values are invalid']);
    expect(at('a =')).to.deep.equal([1, 4, 'Unspecified values are invalid']);
    expect(at('x = 1\na =   \n\n# note\nb = 2\n')).to.deep.equal([2, 4, 'Unspecified values are invalid']);
    expect(at('a\nb = 1\n')).to.deep.equal([1, 2, 'The key, equals sign, and value must be on the same line']);
    expect(at('[x\nb = 1\n')).to.deep.equal([1, 3, 'The key, equals sign, and value must be on the same line']);
    // An error that is where it is reported stays there.
    expect(at('a = 1\n= 2\n')).to.deep.equal([2, 1, 'Unexpected token']);
    expect(at('a = "x\n')).to.deep.equal([1, 7, 'Unterminated string constant']);
  });

  it('ConfigError and TomlSyntaxError carry stable codes and one-line messages', () => {
    const error = new ConfigError([{ path: 'a', message: 'm1' }, { path: 'b', message: 'm2' }]);
    expect([error.code, error.name, error.message]).to.deep.equal(['CONFIG_INVALID', 'ConfigError', 'a: m1; b: m2']);
    const syntax = syntaxErrorOf('a = 1\nb = = 2\n', 'pie.toml');
    expect(syntax).to.be.instanceOf(TomlSyntaxError);
    const { code, name, file, line, column, reason, message } = syntax as TomlSyntaxError;
    expect([code, name, file, line]).to.deep.equal(['TOML_SYNTAX', 'TomlSyntaxError', 'pie.toml', 2]);
    expect(column).to.be.a('number').and.to.be.greaterThan(0);
    expect(reason).to.be.a('string').and.not.to.match(/\(\d+:\d+\)\s*$/); // the parser's own "(line:column)" is dropped
    expect(reason.length).to.be.greaterThan(0);
    expect(message).to.equal(`pie.toml:2:${column}: TOML syntax error: ${reason}`);
    expect(TomlDocument.parse('x = 1').value).to.deep.equal({ x: 1 });
  });

  it('finds the line of the deepest written part of a path, in tables, inline tables and arrays', () => {
    const text = [
      'top = 1', // 1
      '[[model]]', // 2
      'name = "a"', // 3
      '[model.driver]', // 4
      'device = [', // 5
      '  "cuda:0",', // 6
      '  "cuda:1",', // 7
      ']', // 8
      'options = { lookahead_tokens = 4, inner = { deep = 1 } }', // 9
      '[[model]]', // 10
      'name = "b"', // 11
      'list = [[1, 2], [3,', // 12
      '  4]]', // 13
    ].join('\n');
    const document = TomlDocument.parse(text);
    expect(document.lineOf(['top'])).to.equal(1);
    expect(document.lineOf(['model', 0, 'name'])).to.equal(3);
    expect(document.lineOf(['model', 0, 'driver'])).to.equal(4);
    expect(document.lineOf(['model', 0, 'driver', 'device', 1])).to.equal(7);
    expect(document.lineOf(['model', 0, 'driver', 'options', 'inner', 'deep'])).to.equal(9);
    expect(document.lineOf(['model', 0, 'driver', 'missing_key'])).to.equal(4);
    expect(document.lineOf(['model', 1, 'name'])).to.equal(11);
    expect(document.lineOf(['model', 1, 'list', 1, 1])).to.equal(13);
    expect(document.lineOf(['nowhere'])).to.equal(1);
    expect(TomlDocument.parse('').lineOf(['a'])).to.equal(1);
    expect(TomlDocument.parse('\n\n[only]\n').lineOf(['only', 'x'])).to.equal(3);
  });

  it('locates keys the way the file nests them: top-level keys, a super-table after its child, arrays inside inline tables', () => {
    const text = [
      '# a comment first', // 1
      'top = 1', // 2
      '[a.b]', // 3
      'c = 1', // 4
      '[a]', // 5: a super-table defined after its child
      'x = 2', // 6
      '[holder]', // 7
      'items = [ { list = [', // 8
      '  10,', // 9
      '  20 ] } ]', // 10
    ].join('\n');
    const document = TomlDocument.parse(text);
    expect(document.lineOf(['top'])).to.equal(2);
    expect(document.lineOf(['a', 'b', 'c'])).to.equal(4); // [a] comes later but names less of the path
    expect(document.lineOf(['a', 'x'])).to.equal(6);
    expect(document.lineOf(['a', 'missing'])).to.equal(5);
    expect(document.lineOf(['holder', 'items', 0, 'list', 1])).to.equal(10);
    expect(document.lineOf(['holder', 'items', 0, 'list', 0])).to.equal(9);
    expect(document.lineOf(['unknown'])).to.equal(1); // nothing of it written
    expect(document.lineOf(['a', 'b', 'c', 'deeper'])).to.equal(4);
  });

  it('gives a default file name to syntax errors and to problems of text without one', () => {
    const syntax = syntaxErrorOf('= 1');
    expect(syntax?.file).to.equal('<input>');
    expect(syntax?.message.startsWith('<input>:1:')).to.equal(true);
    // The parser's own position suffix is removed, whatever its numbers.
    expect(syntax?.reason).not.to.match(/\(\d+:\d+\)/);
    expect(syntax?.reason).not.to.match(/\s$/);
  });

  it('quotes the parser\'s reason without its "(line:column)" suffix, at any line and column', () => {
    const syntax = syntaxErrorOf(`${'\n'.repeat(11)}key_name_x = = 2\n`, 'f.toml');
    // toml-eslint-parser's own words for this input; the position is ours, 1-based.
    expect([syntax?.line, syntax?.column, syntax?.reason, syntax?.message]).to.deep.equal([12, 14, 'Unexpected token', 'f.toml:12:14: TOML syntax error: Unexpected token']);
    expect(() => validatePieToml('= 1')).to.throw(TomlSyntaxError, /^<input>:1:/);
  });

  it('names models without a string name by index, and never claims a device that is not a string', () => {
    const model = (name: string, device: string) => `[[model]]\n${name}hf_repo = "o/m"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = ${device}\n`;
    const shared = validatePieToml(model('name = "one"\n', '"cuda:0"') + model('', '"cuda:0"'));
    expect(shared.problems.filter((p) => /claimed/.test(p.message)).map((p) => p.message)).to.deep.equal([
      'device "cuda:0" claimed by both model "one" and "model[1]"; give each model its own devices',
    ]);
    const odd = validatePieToml(model('name = "a"\n', '3') + model('name = "b"\n', '3') + model('name = "c"\n', '[5]') + model('name = "d"\n', '[5]'));
    expect(odd.problems.filter((p) => /claimed/.test(p.message))).to.deep.equal([]);
  });

  it('keeps digits inside a key as part of the key and reads only whole numbers as indices', () => {
    const error = ajvError('type', { type: 'string' }, {}, 1, '/model/12/x12/3x');
    expect(formatAjvErrors([error])[0]!.path).to.equal('model[12].x12.3x');
  });

  it('reports another read error with the system\'s own words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pie-read-'));
    const file = join(dir, 'pie.toml');
    writeFileSync(file, '');
    expect(() => validatePieFile(join(file, 'inside'))).to.throw(ConfigFileError, /cannot read the configuration: a folder on its path is a file$/);
    const loop = join(dir, 'loop.toml');
    symlinkSync(loop, loop);
    expect(() => validatePieFile(loop)).to.throw(ConfigFileError, /cannot read the configuration: ELOOP: too many symbolic links/);
  });

  it('sorts a file problems by line and leaves unlocated ones last', () => {
    const text = [
      '[[model]]',
      'name = "one"',
      'hf_repo = "org/one"',
      '[model.driver]',
      'type = "tensorrt_llm"',
      'device = "cuda:0"',
      'ipc_profile = "fast"', // 7
      '[[model]]',
      'name = "one"', // 9
      'hf_repo = "org/two"',
      '[model.driver]',
      'type = "tensorrt_llm"',
      'device = "cuda:0"', // 13
      'random_seed = -1', // 14
    ].join('\n');
    const result = validatePieToml(text, 'pie.toml');
    expect(result.problems.map((p) => [p.line, p.path])).to.deep.equal([
      [7, 'model[0].driver.ipc_profile'],
      [9, 'model[1].name'],
      [13, 'model[1].driver.device'],
      [14, 'model[1].driver.random_seed'],
    ]);
    expect(result.problems[2]!.message).to.equal('device "cuda:0" claimed by both model[0] and model[1] (both named "one"); give each model its own devices');
  });

  it('warns about a driver type two edits or fewer from ours, in any case, and not three', () => {
    const model = (type: string) => `[[model]]\nname = "m"\nhf_repo = "o/m"\n[model.driver]\ntype = "${type}"\ndevice = "cuda:0"\n`;
    expect(validatePieToml(model('trtlm')).warnings).to.deep.equal([
      { path: 'model[0].driver.type', message: '"trtlm" is not a driver type of this package; did you mean "trtllm"? (as written, another driver plugin must serve it)', line: 5 },
    ]);
    expect(validatePieToml(model('TRTLLM')).warnings.map((w) => w.message)).to.deep.equal([
      '"TRTLLM" is not a driver type of this package; did you mean "trtllm"? (as written, another driver plugin must serve it)',
    ]);
    expect(validatePieToml(model('trxxlm')).warnings).to.have.length(1); // two edits
    expect(validatePieToml(model('txxxlm')).warnings).to.deep.equal([]); // three edits
    expect(validatePieToml(model('vllm')).warnings).to.deep.equal([]);
  });

  it('lets a device be shared within one model and by a model whose devices are not strings', () => {
    const text = '[[model]]\nname = "m"\nhf_repo = "o/m"\n[model.driver]\ntype = "other"\ndevice = ["cuda:0", "cuda:0"]\n[[model]]\nname = "n"\nhf_repo = "o/n"\n[model.driver]\ntype = "other"\ndevice = 3\n';
    expect(validatePieToml(text).problems.filter((p) => /claimed/.test(p.message))).to.deep.equal([]);
  });

  it('says why a pie.toml cannot be read: missing, a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pie-read-'));
    const missing = join(dir, 'absent.toml');
    const failure = (file: string) => {
      try {
        validatePieFile(file);
      } catch (error) {
        return error as ConfigFileError;
      }
      throw new Error('expected a ConfigFileError');
    };
    const absent = failure(missing);
    expect([absent.code, absent.name, absent.message]).to.deep.equal(['CONFIG_UNREADABLE', 'ConfigFileError', `${missing}: cannot read the configuration: no such file (check the path)`]);
    expect(failure(dir).message).to.equal(`${dir}: cannot read the configuration: it is a directory, not a file`);
  });
});
