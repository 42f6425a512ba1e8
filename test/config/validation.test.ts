import { expect } from 'chai';
import { deviceGroupProblem, deviceGroups } from '../../src/config/device-groups.js';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import { TomlSyntaxError } from '../../src/config/toml-document.js';

describe('validateDriverTable', () => {
  it('fills every default and canonicalises type and device', () => {
    const result = validateDriverTable({ type: 'trtllm', device: 'cuda:0' });
    expect(result.ok).to.equal(true);
    const config = result.config!;
    expect(config.type).to.equal('tensorrt_llm');
    expect(config.device).to.deep.equal(['cuda:0']);
    expect(config.tensor_parallel_size).to.equal(1);
    expect(config.activation_dtype).to.equal('bfloat16');
    expect(config.random_seed).to.equal(42);
    expect(config.ipc_profile).to.equal('balanced');
    expect(config.options.lookahead_tokens).to.equal(16);
    expect(config.options.max_concurrent_requests).to.equal(128);
    expect(config.options.max_session_histories).to.equal(65536);
    expect(config.options.execution_mode).to.equal('generate');
    expect(config.options.llm_kwargs).to.deep.equal({});
    expect(config.options.max_history_tokens).to.equal(undefined);
  });

  it('does not mutate its input and keeps user values', () => {
    const table = { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'], options: { lookahead_tokens: 4 } };
    const copy = structuredClone(table);
    const result = validateDriverTable(table);
    expect(table).to.deep.equal(copy);
    expect(result.config!.options.lookahead_tokens).to.equal(4);
    expect(result.config!.device).to.deep.equal(['cuda:0', 'cuda:1']);
  });

  it('suggests the nearest key for a typo', () => {
    const result = validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { max_sesion_histories: 3 } });
    expect(result.problems).to.deep.equal([
      { path: 'model.driver.options.max_sesion_histories', message: 'unknown key; did you mean `max_session_histories`?' },
    ]);
  });

  it('explains the capacity keys Pie rejects, and allows max_batch_size', () => {
    const bad = validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { max_forward_tokens: 8 } });
    expect(bad.problems[0]!.message).to.contain('drivers compute KV pages and scheduling capacity in capabilities');
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { max_batch_size: 8 } }).ok).to.equal(true);
  });

  it('says what was expected and what was found for a wrong type', () => {
    const result = validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { lookahead_tokens: '16' } }, ['model', 0, 'driver']);
    expect(result.problems).to.deep.equal([
      { path: 'model[0].driver.options.lookahead_tokens', message: 'expected an integer, found the string "16"' },
    ]);
  });

  it('rejects garbage with a path', () => {
    for (const garbage of [null, 3, 'x', [], {}]) {
      const result = validateDriverTable(garbage);
      expect(result.ok).to.equal(false);
      expect(result.problems.length).to.be.greaterThan(0);
      for (const p of result.problems) expect(p.path).to.match(/^model\.driver/);
    }
  });
});

describe('validatePieToml', () => {
  it('reports TOML syntax errors with their position', () => {
    // The value missing after `name =` on line 2: reported there, just past the `=`.
    expect(() => validatePieToml('[[model]]\nname = \n', 'x.toml')).to.throw(TomlSyntaxError, 'x.toml:2:7: TOML syntax error: Unspecified values are invalid');
  });

  it('applies Pie\'s cross-model rules: unique names, devices claimed once', () => {
    const text = `
[[model]]
name = "a"
hf_repo = "r"
driver = { type = "trtllm", device = "cuda:0" }

[[model]]
name = "a"
hf_repo = "r"
driver = { type = "trtllm", device = ["cuda:0"] }
`;
    const result = validatePieToml(text, 'x.toml');
    const lines = result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^model\[1\]\.name: duplicate model name "a"/);
    expect(lines[1]).to.match(/^model\[1\]\.driver\.device: device "cuda:0" claimed by both model\[0\] and model\[1\] \(both named "a"\)/);
    expect(result.problems[0]!.line).to.equal(8);
  });

  it('resolves only the models whose driver is ours', () => {
    const text = `
[[model]]
name = "a"
hf_repo = "r"
driver = { type = "vllm", device = "cuda:0", options = { anything = 1 } }

[[model]]
name = "b"
hf_repo = "r"
driver = { type = "tensorrt-llm", device = "cuda:1" }
`;
    const result = validatePieToml(text);
    expect(result.ok).to.equal(true);
    expect(result.models.map((m) => [m.index, m.name, m.driver.type])).to.deep.equal([[1, 'b', 'tensorrt_llm']]);
  });
});

describe('device groups (Pie topology rule)', () => {
  it('cuts the device list into contiguous groups of tensor × pipeline parallel size', () => {
    const four = ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'];
    expect(deviceGroups(four, 2, 1)).to.deep.equal([['cuda:0', 'cuda:1'], ['cuda:2', 'cuda:3']]);
    expect(deviceGroups(four, 1, 1)).to.deep.equal([['cuda:0'], ['cuda:1'], ['cuda:2'], ['cuda:3']]);
    expect(deviceGroups(four, 2, 2)).to.deep.equal([four]);
    expect(deviceGroups(['cuda:3', 'cuda:1'], 1, 2)).to.deep.equal([['cuda:3', 'cuda:1']]);
  });

  it('accepts a size that divides the devices and refuses one that does not, naming both sizes', () => {
    const ok = validateDriverTable({ type: 'trtllm', device: ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'], tensor_parallel_size: 2 });
    expect([ok.ok, ok.config?.tensor_parallel_size, ok.config?.options.pipeline_parallel_size]).to.deep.equal([true, 2, 1]);
    expect(validateDriverTable({ type: 'trtllm', device: ['cuda:0', 'cuda:1', 'cuda:2'], tensor_parallel_size: 2 }, ['model', 0, 'driver']).problems).to.deep.equal([
      { path: 'model[0].driver.tensor_parallel_size', message: 'tensor_parallel_size 2 × pipeline_parallel_size 1 = 2 devices per replica does not divide the 3 devices in `device`; list a multiple of 2 devices, or lower the sizes' },
    ]);
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { pipeline_parallel_size: 2 } }).problems).to.deep.equal([
      { path: 'model.driver.tensor_parallel_size', message: 'tensor_parallel_size 1 × pipeline_parallel_size 2 = 2 devices per replica does not divide the 1 device in `device`; list a multiple of 2 devices, or lower the sizes' },
    ]);
    expect(deviceGroupProblem(6, 3, 2, 'x')).to.equal(undefined);
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', tensor_parallel_size: 0 }).problems.map((p) => p.message)).to.deep.equal(['expected an integer ≥ 1, found the integer 0']);
  });
});

describe('pie.toml topology check', () => {
  const pieToml = (device: string, extra: string) => `[[model]]\nname = "a"\nhf_repo = "o/m"\n\n[model.driver]\ntype = "tensorrt_llm"\ndevice = ${device}\n${extra}\n`;
  const problems = (device: string, extra: string) => validatePieToml(pieToml(device, extra), 'pie.toml').problems.map((p) => [p.path, p.message]);

  it('counts a single device written as a string, and adds nothing to what the schema says about wrong sizes or devices', () => {
    expect(problems('"cuda:0"', 'tensor_parallel_size = 2')).to.deep.equal([
      ['model[0].driver.tensor_parallel_size', 'tensor_parallel_size 2 × pipeline_parallel_size 1 = 2 devices per replica does not divide the 1 device in `device`; list a multiple of 2 devices, or lower the sizes'],
    ]);
    expect(problems('[]', 'tensor_parallel_size = 2')).to.deep.equal([['model[0].driver.device', 'expected a non-empty array, found an empty array']]);
    expect(problems('"cuda:0"', 'tensor_parallel_size = 0')).to.deep.equal([['model[0].driver.tensor_parallel_size', 'expected an integer ≥ 1, found the integer 0']]);
    expect(problems('["cuda:0", "cuda:1"]', 'tensor_parallel_size = 1.5')).to.deep.equal([['model[0].driver.tensor_parallel_size', 'expected an integer, found the number 1.5']]);
    expect(problems('["cuda:0", "cuda:1"]', 'tensor_parallel_size = 2')).to.deep.equal([]);
    // The smallest size written out counts as a size: 1 × 2 does not divide 3 devices.
    expect(problems('["cuda:0", "cuda:1", "cuda:2"]', 'tensor_parallel_size = 1\n\n[model.driver.options]\npipeline_parallel_size = 2')).to.deep.equal([
      ['model[0].driver.tensor_parallel_size', 'tensor_parallel_size 1 × pipeline_parallel_size 2 = 2 devices per replica does not divide the 3 devices in `device`; list a multiple of 2 devices, or lower the sizes'],
    ]);
  });

  it('checks a device list only when the schema found every entry a string, and refuses a model that is not an array at the root', () => {
    const schemaOnly = (device: string, path: string, found: string) => expect(problems(device, ''), device).to.deep.equal([[path, `expected ${found}`]]);
    schemaOnly('3', 'model[0].driver.device', 'a string or an array of strings, found the integer 3');
    schemaOnly('[1, "cuda:0"]', 'model[0].driver.device[0]', 'a string, found the integer 1');
    // A string entry that the device-list check would refuse, beside one that is not a string.
    schemaOnly('["cuda 0", 1]', 'model[0].driver.device[1]', 'a string, found the integer 1');
    expect(problems('[1, 1]', ''), 'two numbers: each refused by the schema, neither "listed twice"').to.deep.equal([
      ['model[0].driver.device[0]', 'expected a string, found the integer 1'],
      ['model[0].driver.device[1]', 'expected a string, found the integer 1'],
    ]);
    // A leading space splits into an empty piece and one device: one device with spaces.
    expect(problems('" cuda:0"', '')).to.deep.equal([
      ['model[0].driver.device', '" cuda:0" names a device with spaces in one entry; list each device as its own string, e.g. device = ["cuda:0"]'],
    ]);
    // Only separators: no device in it, and the example falls back to one device.
    expect(problems('","', '')).to.deep.equal([
      ['model[0].driver.device', '"," names a device with spaces in one entry; list each device as its own string, e.g. device = ["cuda:0"]'],
    ]);
    const root = (text: string) => validatePieToml(text, 'pie.toml').problems.map((p) => [p.path, p.message]);
    expect(root('model = 3\n')).to.deep.equal([['model', 'expected an array, found the integer 3']]);
    expect(root('model = [3]\n')).to.deep.equal([['model[0]', 'expected a table, found the integer 3']]);
  });
});
