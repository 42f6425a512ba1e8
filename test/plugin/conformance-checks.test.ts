import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { container as globalContainer } from 'tsyringe';
import { ConformanceFailure, defineDriverConformance } from '../../src/plugin/conformance/index.js';
import { type CheckOutcome, RecordingFramework } from '../helpers/recording-framework.js';

// The kit's twelve checks, in order, as a plugin author reads them (written out, not imported).
const CHECKS = [
  'package.json has a `pie` field with apiVersion 1 and the plugin module path',
  'package.json has the keywords pie-plugin and pie-driver',
  'the plugin module default-exports { apiVersion: 1, name, register(container) }',
  'registers at least one driver into a fresh child container and leaves the global container untouched',
  'can register again into another fresh container',
  'has a type, aliases, schema, validate, create, examples and supports',
  'its schema compiles under Ajv strict mode as draft-07 and documents every property',
  'validate rejects garbage with problems that name a path, and accepts its own examples, which its schema accepts too',
  'starts and reports capabilities',
  'answers a greedy forward with one token',
  'answers each declared unsupported feature with its code, next to a good request',
  'dispose leaves no process behind',
] as const;

/**
 * A toy driver plugin that passes every check; `variant` switches one behaviour off and `patch`
 * (statements run after the descriptor and the module object exist) breaks one field.
 */
/** The codes the toy plugin declares in supports.rejects, and answers with (see CODES below). */
const CODES_SENT: Record<string, string> = { adapter: 'TOY_NO_ADAPTER', probe: 'TOY_NO_PROBE', logit_mask: 'TOY_NO_LOGIT_MASK', attention_mask: 'TOY_NO_MASK', speculation: 'TOY_NO_SPEC', multimodal: 'TOY_NO_MEDIA' };

function toyPluginSource(variant: Record<string, unknown>, patch: string): string {
  return `
import { spawn } from 'node:child_process';
const variant = ${JSON.stringify(variant)};
const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', description: 'the driver type' },
    options: { type: 'object', description: 'driver options', properties: { venv: { type: 'string', description: 'interpreter folder' } } },
  },
};
function validate(table) {
  const ok = table !== null && typeof table === 'object' && !Array.isArray(table) && table.type === 'toy' && Object.keys(table).every((k) => k === 'type' || k === 'options');
  return ok ? { ok: true, config: table, problems: [] } : { ok: false, problems: [{ path: 'model.driver', message: 'expected a table with type = "toy" and nothing else' }] };
}
const CODES = { adapter: 'TOY_NO_ADAPTER', probe: 'TOY_NO_PROBE', logit_mask: 'TOY_NO_LOGIT_MASK', attention_mask: 'TOY_NO_MASK', speculation: 'TOY_NO_SPEC', multimodal: 'TOY_NO_MEDIA' };
const spans = (indptr, r) => indptr !== undefined && indptr[r + 1] > indptr[r];
// Which feature request r of a batch carries (the kit puts a feature on one request of a pair).
const FEATURES = {
  adapter: (b, r) => (b.adapter_bindings?.[r]?.adapter_id ?? -1) >= 0,
  probe: (b, r) => b.samplers?.[b.sampler_indptr?.[r]]?.type === 'entropy',
  logit_mask: (b, r) => spans(b.logit_mask_indptr, r),
  attention_mask: (b, r) => b.has_user_mask === true && r === 0,
  speculation: (b, r) => spans(b.spec_indptr, r),
  multimodal: (b, r) => spans(b.image_indptr, r),
};
let created;
// Processes the driver starts and does not list in status(): left running, or ended 300 ms after dispose.
let hidden;
function create(options) {
  if (JSON.stringify(options) !== JSON.stringify({ model: { name: 'conformance', hf_repo: 'conformance/model' }, table: { type: 'toy' }, simulate: true })) throw new Error('create got ' + JSON.stringify(options));
  let child;
  created = {
    async start() {
      child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      if (variant.hiddenChild) hidden = [spawn('sleep', ['60', ...Array(30).fill('0')], { stdio: 'ignore' }), spawn('sleep', ['61'], { stdio: 'ignore' })];
      const caps = { max_forward_tokens: 64, max_forward_requests: 8, total_pages: 16, kv_page_size: 16, vocab_size: 100, supports_user_attention_mask: false, supports_adapters: false };
      for (const key of variant.dropCapabilities ?? []) delete caps[key];
      return caps;
    },
    capabilities() { return {}; },
    async status() { return [{ pid: child.pid }, { pid: 'none' }]; },
    async forward(batch) {
      const results = batch.context_ids.map((_, r) => {
        const feature = Object.keys(FEATURES).find((f) => FEATURES[f](batch, r));
        return feature ? { error: { code: (variant.codes ?? CODES)[feature], message: feature + ' is not supported' } } : { tokens: Array(variant.tokens ?? 1).fill(7) };
      });
      if (variant.failNeighbour && results.length === 2) results[1] = { error: { code: 'TOY_BUSY', message: 'busy' } };
      if (variant.extraResult) results.push({ tokens: [7] });
      return results;
    },
    async release() {},
    async fork() {},
    async dispose() {
      if (variant.hiddenChild === 'late') setTimeout(() => hidden.forEach((p) => p.kill('SIGKILL')), 300);
      if (variant.leaveProcess || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
  return created;
}
const descriptor = {
  type: 'toy',
  aliases: ['toy-alias'],
  schema,
  validate,
  create,
  examples: [{ type: 'toy' }],
  supports: { start: true, conformance: { simulate: true }, rejects: Object.keys(CODES).map((feature) => ({ feature, code: CODES[feature] })) },
};
let registrations = 0;
const plugin = {
  apiVersion: 1,
  name: 'toy-plugin',
  register(container) {
    registrations++;
    if (variant.registerThrows) throw new Error('registry unavailable');
    if (variant.registerNothing) return;
    const registry = container.resolve(Symbol.for('pie.DriverRegistry'));
    if (variant.touchGlobal) container.parent.register(Symbol.for('pie.DriverRegistry'), { useValue: registry });
    registry.register(variant.stateful && registrations > 1 ? { ...descriptor, type: 'toy' + registrations } : descriptor, 'toy-plugin');
  },
};
${patch}
if (variant.importFails) throw new Error('cannot find module ./native.node');
export default plugin;
`;
}

interface Toy {
  variant?: Record<string, unknown>;
  patch?: string;
  pkg?: Record<string, unknown>;
}

const root = mkdtempSync(join(tmpdir(), 'pie-conformance-'));
let packages = 0;

/** A package folder holding the toy plugin. */
function toyPackage(toy: Toy): string {
  const dir = join(root, `toy-${++packages}`);
  mkdirSync(dir);
  const pkg = { name: 'toy-plugin', version: '1.0.0', type: 'module', keywords: ['pie-plugin', 'pie-driver'], pie: { apiVersion: 1, plugin: './plugin.mjs' }, ...toy.pkg };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(dir, 'plugin.mjs'), toyPluginSource(toy.variant ?? {}, toy.patch ?? ''));
  return dir;
}

async function outcomes(toy: Toy = {}): Promise<CheckOutcome[]> {
  const dir = toyPackage(toy);
  const framework = new RecordingFramework();
  defineDriverConformance({ packageDir: dir, framework });
  expect(framework.suites).to.deep.equal([`Pie driver plugin conformance: ${dir}`, 'manifest and module', 'registration', 'descriptor', 'start, forward, reject, dispose']);
  const results = await framework.run();
  expect(results.map((r) => r.name)).to.deep.equal([...CHECKS]);
  return results;
}

/** The checks named, run alone (as a name filter such as mocha's --grep runs them). */
async function runAlone(toy: Toy, names: readonly string[]): Promise<CheckOutcome[]> {
  const framework = new RecordingFramework();
  const register = framework.it;
  framework.it = (name, body) => (names.includes(name) ? register(name, body) : undefined);
  defineDriverConformance({ packageDir: toyPackage(toy), framework });
  return framework.run();
}

/** The outcome of each check by its position in CHECKS (1-based, as the CLI counts them). */
function verdicts(results: CheckOutcome[]): Record<number, string> {
  return Object.fromEntries(results.map((r, i) => [i + 1, r.outcome === 'pass' ? 'pass' : `${r.outcome}: ${r.message}`]));
}

/** What check `n` said of the toy plugin with `patch` applied. */
async function verdictOf(n: number, patch: string): Promise<string | undefined> {
  return verdicts(await outcomes({ patch }))[n];
}

/** Every check passes except the ones given. */
function allPassBut(failures: Record<number, string>): Record<number, string> {
  return Object.fromEntries(CHECKS.map((_, i) => [i + 1, failures[i + 1] ?? 'pass']));
}

describe('conformance kit: each check fails on the plugin that breaks it, with its message', function () {
  this.timeout(60_000);

  it('passes all twelve on a plugin that does everything', async () => {
    expect(verdicts(await outcomes())).to.deep.equal(allPassBut({}));
  });

  it('manifest: apiVersion, plugin path, keywords', async () => {
    expect(verdicts(await outcomes({ pkg: { pie: { apiVersion: 2, plugin: './plugin.mjs' } } }))).to.deep.equal(allPassBut({
      1: 'fail: expected "pie": { "apiVersion": 1, ... } in package.json, found apiVersion 2; fix: set "pie": { "apiVersion": 1, "plugin": "<path of the built ES module>" }',
    }));
    expect(verdicts(await outcomes({ pkg: { keywords: ['llm'] } }))[2]).to.equal('fail: expected the keywords pie-plugin and pie-driver, found keywords ["llm"]; fix: add "pie-plugin" and "pie-driver" to "keywords" in package.json');
    expect(verdicts(await outcomes({ pkg: { keywords: undefined } }))[2]).to.equal('fail: expected the keywords pie-plugin and pie-driver, found keywords []; fix: add "pie-plugin" and "pie-driver" to "keywords" in package.json');
    const skipped = 'skip: skipped: the plugin module did not load (see the manifest checks)';
    expect(verdicts(await outcomes({ pkg: { pie: { apiVersion: 1 } } }))).to.deep.equal({
      1: 'fail: expected pie.plugin, the path of the plugin module, found nothing; fix: set "pie.plugin" to the built module\'s path relative to package.json, e.g. "./dist/plugin.js"',
      2: 'pass',
      3: 'fail: expected the module named by pie.plugin to import, found no module; fix: build the package and check the pie.plugin path',
      4: skipped, 5: skipped, 6: skipped, 7: skipped, 8: skipped, 9: skipped, 10: skipped, 11: skipped, 12: skipped,
    });
  });

  it('module: an import that fails, and each field of the default export', async () => {
    const failing = verdicts(await outcomes({ variant: { importFails: true } }));
    expect(failing[3]).to.equal('fail: expected the module named by pie.plugin to import, found an import error: cannot find module ./native.node; fix: build the package and check the pie.plugin path');
    expect(failing[12]).to.equal('skip: skipped: the plugin module did not load (cannot find module ./native.node) (see the manifest checks)');
    expect(verdicts(await outcomes({ patch: 'plugin.apiVersion = 3;' }))).to.deep.equal(allPassBut({ 3: 'fail: expected default export\'s apiVersion 1, found 3; fix: export default { apiVersion: 1, name, register }' }));
    expect(verdicts(await outcomes({ patch: 'plugin.name = "";' }))).to.deep.equal(allPassBut({ 3: 'fail: expected a non-empty name, found ""; fix: give the default export a name (the package name is usual)' }));
    expect(verdicts(await outcomes({ patch: 'plugin.name = 7;' }))[3]).to.equal('fail: expected a non-empty name, found 7; fix: give the default export a name (the package name is usual)');
    const noRegister = verdicts(await outcomes({ patch: 'plugin.register = "soon";' }));
    expect(noRegister[3]).to.equal('fail: expected register(container), a function, found "soon"; fix: export default { ..., register(container) { container.resolve(DRIVER_REGISTRY).register(descriptor, name) } }');
    expect(noRegister[4]).to.equal('skip: skipped: the plugin module has no register(container) function (see the manifest checks)');
  });

  it('registration: nothing registered, a throw, the global container touched, state kept between calls', async () => {
    expect(verdicts(await outcomes({ variant: { registerNothing: true } }))[4]).to.equal('fail: expected at least one driver registered, found none; fix: call registry.register(descriptor, owner) in register(container)');
    const throwing = verdicts(await outcomes({ variant: { registerThrows: true } }));
    const threw = 'fail: expected register(container) to register a driver, found it threw registry unavailable; fix: register must only resolve the registry token and call registry.register(descriptor, owner)';
    expect([throwing[4], throwing[5], throwing[6], throwing[9]]).to.deep.equal([threw, threw, threw, threw]);
    try {
      expect(verdicts(await outcomes({ variant: { touchGlobal: true } }))[4]).to.equal('fail: expected the global container left alone, found a registry registered in it; fix: register only into the container register() is given, never the global one');
    } finally {
      globalContainer.reset();
    }
    expect(verdicts(await outcomes({ variant: { stateful: true } }))[5]).to.equal('fail: expected the same drivers again (["toy2"]), found ["toy3"]; fix: keep no state between register calls: a host may create several containers');
  });

  it('registration: a plugin that registers nothing has every check of its drivers skipped with why, run in order or alone', async () => {
    const none = 'skip: skipped: register(container) registered no driver (see the registration check)';
    expect(verdicts(await outcomes({ variant: { registerNothing: true } }))).to.deep.equal({
      1: 'pass', 2: 'pass', 3: 'pass',
      4: 'fail: expected at least one driver registered, found none; fix: call registry.register(descriptor, owner) in register(container)',
      5: none, 6: none, 7: none, 8: none, 9: none, 10: none, 11: none, 12: none,
    });
    // Alone, no registration check has counted the drivers: the check counts them itself.
    for (const name of [CHECKS[5], CHECKS[8]]) {
      expect(await runAlone({ variant: { registerNothing: true } }, [name]), name).to.deep.equal([{ name, outcome: 'skip', message: none.slice('skip: '.length) }]);
      expect(await runAlone({}, [name]), `${name}, on a plugin that registers`).to.deep.equal([{ name, outcome: 'pass' }]);
    }
    expect(await runAlone({ variant: { registerThrows: true } }, [CHECKS[5]]), 'a register() that throws: the check reports it').to.deep.equal([{
      name: CHECKS[5],
      outcome: 'fail',
      message: 'expected register(container) to register a driver, found it threw registry unavailable; fix: register must only resolve the registry token and call registry.register(descriptor, owner)',
    }]);
  });

  it('descriptor: each field of the wrong kind', async () => {
    expect(await verdictOf(6, 'descriptor.type = 42;')).to.equal('fail: expected type, a string, found 42; fix: give the descriptor its canonical driver type');
    expect(await verdictOf(6, 'descriptor.aliases = "toy-alias";')).to.equal('fail: expected toy: aliases, an array of strings, found "toy-alias"; fix: use aliases: [] when there are none');
    expect(await verdictOf(6, 'descriptor.aliases = [1];')).to.equal('fail: expected toy: aliases, an array of strings, found [1]; fix: use aliases: [] when there are none');
    expect(await verdictOf(6, 'descriptor.aliases = ["toy-alias", 1];')).to.equal('fail: expected toy: aliases, an array of strings, found ["toy-alias",1]; fix: use aliases: [] when there are none');
    expect(await verdictOf(6, 'descriptor.schema = null;')).to.equal('fail: expected toy: schema, a JSON Schema object, found null; fix: give the draft-07 JSON Schema of the [model.driver] table');
    expect(await verdictOf(6, 'descriptor.schema = "schema.json";')).to.equal('fail: expected toy: schema, a JSON Schema object, found "schema.json"; fix: give the draft-07 JSON Schema of the [model.driver] table');
    expect(await verdictOf(6, 'descriptor.validate = undefined;')).to.equal('fail: expected toy: validate(table), a function, found nothing; fix: validate the table against the schema and return { ok, config, problems }');
    expect(await verdictOf(6, 'descriptor.create = {};')).to.equal('fail: expected toy: create(options), a function, found {}; fix: return a driver instance from create(options)');
    expect(await verdictOf(6, 'descriptor.examples = [];')).to.equal('fail: expected toy: examples, at least one valid table, found []; fix: list at least one valid [model.driver] table');
    expect(await verdictOf(6, 'descriptor.examples = { type: "toy" };')).to.equal('fail: expected toy: examples, at least one valid table, found {"type":"toy"}; fix: list at least one valid [model.driver] table');
    expect(await verdictOf(6, 'descriptor.supports = null;')).to.equal('fail: expected toy: supports, an object, found null; fix: declare supports: { start: boolean, rejects?: [...] }');
    expect(await verdictOf(6, 'descriptor.supports = "yes";')).to.equal('fail: expected toy: supports, an object, found "yes"; fix: declare supports: { start: boolean, rejects?: [...] }');
  });

  it('schema: draft-07, strict Ajv, a description on every property', async () => {
    expect(await verdictOf(7, 'delete schema.$schema;')).to.equal('fail: expected toy: $schema draft-07, found nothing; fix: set "$schema": "http://json-schema.org/draft-07/schema#"');
    expect(await verdictOf(7, 'schema.$schema = "https://json-schema.org/draft/2020-12/schema";')).to.equal('fail: expected toy: $schema draft-07, found "https://json-schema.org/draft/2020-12/schema"; fix: set "$schema": "http://json-schema.org/draft-07/schema#"');
    expect(await verdictOf(7, 'schema.editorHint = "x";')).to.equal('fail: expected toy: a schema Ajv compiles in strict mode, found strict mode: unknown keyword: "editorHint"; fix: fix the schema where Ajv says (unknown keywords need a vocabulary)');
    expect(await verdictOf(7, 'schema.properties.type.description = ""; delete schema.properties.options.properties.venv.description; schema.properties.flag = true;'))
      .to.equal('fail: expected toy: a description on every property, found none on toy.type, toy.options.venv; fix: add "description" to each, editors show it');
    // The schema check runs even when the descriptor check failed: a schema that is not an object stops it first.
    expect(await verdictOf(7, 'descriptor.schema = null;')).to.equal('fail: expected toy: a schema, found null; fix: give the descriptor its JSON Schema');
    expect(await verdictOf(7, 'descriptor.schema = "schema.json";')).to.equal('fail: expected toy: a schema, found "schema.json"; fix: give the descriptor its JSON Schema');
    // A description that is not a string never reaches the description check: Ajv refuses it first.
    expect(await verdictOf(7, 'schema.properties.options.description = 3;')).to.equal('fail: expected toy: a schema Ajv compiles in strict mode, found schema is invalid: data/properties/options/description must be string; fix: fix the schema where Ajv says (unknown keywords need a vocabulary)');
  });

  it('validate: garbage accepted, problems missing or without a path, an example refused', async () => {
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t === null ? { ok: true, config: {}, problems: [] } : validate(t));')).to.equal('fail: expected toy: validate(null) to fail, found ok: true; fix: validate against the schema with additionalProperties: false');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t !== null && typeof t === "object" && t.no_such_key_anywhere ? { ok: true, config: t, problems: [] } : validate(t));'))
      .to.equal('fail: expected toy: validate({"type":"toy","no_such_key_anywhere":true}) to fail, found ok: true; fix: validate against the schema with additionalProperties: false');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t === 42 ? { ok: false, problems: [] } : validate(t));')).to.equal('fail: expected toy: problems for 42, found an empty list; fix: list at least one { path, message }');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t === "x" ? { ok: false, problems: [{ path: "", message: "bad" }] } : validate(t));')).to.equal('fail: expected toy: problems with a path and a message, found {"path":"","message":"bad"}; fix: give each problem the TOML path and a sentence');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (Array.isArray(t) ? { ok: false, problems: [{ path: "model.driver", message: "" }] } : validate(t));')).to.equal('fail: expected toy: problems with a path and a message, found {"path":"model.driver","message":""}; fix: give each problem the TOML path and a sentence');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (Array.isArray(t) ? { ok: false, problems: [{ path: 3, message: "m" }] } : validate(t));')).to.equal('fail: expected toy: problems with a path and a message, found {"path":3,"message":"m"}; fix: give each problem the TOML path and a sentence');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (Array.isArray(t) && t.length === 0 ? { ok: true, config: {}, problems: [] } : validate(t));')).to.equal('fail: expected toy: validate([]) to fail, found ok: true; fix: validate against the schema with additionalProperties: false');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t === "x" ? { ok: false, problems: [{ path: ["model"], message: "bad" }] } : validate(t));')).to.equal('fail: expected toy: problems with a path and a message, found {"path":["model"],"message":"bad"}; fix: give each problem the TOML path and a sentence');
    expect(await verdictOf(8, 'descriptor.validate = (t) => (t === "x" ? { ok: false, problems: [{ path: "model.driver", message: ["bad"] }] } : validate(t));')).to.equal('fail: expected toy: problems with a path and a message, found {"path":"model.driver","message":["bad"]}; fix: give each problem the TOML path and a sentence');
    expect(await verdictOf(8, 'descriptor.examples.push({ type: "toy", gpu: 1 });')).to.equal('fail: expected toy: its example {"type":"toy","gpu":1} to validate, found [{"path":"model.driver","message":"expected a table with type = \\"toy\\" and nothing else"}]; fix: make the examples valid, or the schema accept them');
    // validate takes any options; the schema wants a table: an editor would flag the example.
    const schemaRefused = await verdictOf(8, 'descriptor.examples.push({ type: "toy", options: 3 });');
    expect(schemaRefused).to.match(/^fail: expected toy: its example \{"type":"toy","options":3\} to match its own schema, found \[\{"instancePath":"\/options"/);
    expect(schemaRefused).to.match(/; fix: make the example match the schema \(editors check tables against it\), or the schema accept it$/);
  });

  it('start: a capability missing; a driver that cannot start here is skipped, with why', async () => {
    // Each field the check promises, left out alone.
    for (const key of ['max_forward_tokens', 'max_forward_requests', 'total_pages', 'kv_page_size', 'vocab_size']) {
      expect(verdicts(await outcomes({ variant: { dropCapabilities: [key] } })), key).to.deep.equal(allPassBut({ 9: `fail: expected capability ${key}, a number, found nothing; fix: report Pie's capability fields (snake_case) from start()` }));
    }
    const skip = 'skip: skipped: supports.start is false (this machine cannot start the driver)';
    expect(verdicts(await outcomes({ patch: 'descriptor.supports.start = false;' }))).to.deep.equal(allPassBut({ 9: skip, 10: skip, 11: skip, 12: skip }));
    expect(verdicts(await outcomes({ patch: 'descriptor.supports.start = false; descriptor.create = () => { throw new Error("create must not run"); };' })), 'a skipped check stops there').to.deep.equal(allPassBut({ 9: skip, 10: skip, 11: skip, 12: skip }));
    // supports missing altogether (the descriptor check fails on it): nothing says the driver can start.
    const unsupported = verdicts(await outcomes({ patch: 'descriptor.supports = null;' }));
    expect([unsupported[9], unsupported[10], unsupported[11], unsupported[12]]).to.deep.equal([skip, skip, skip, skip]);
    const broken = verdicts(await outcomes({ patch: 'descriptor.create = () => { throw new Error("no GPU"); };' }));
    expect([broken[9], broken[10], broken[11]]).to.deep.equal(['fail: no GPU', 'fail: expected a started driver, found none: start failed above; fix: fix "starts and reports capabilities" first', 'fail: expected a started driver, found none: start failed above; fix: fix "starts and reports capabilities" first']);
  });

  it('forward: the wrong number of results or tokens', async () => {
    expect(verdicts(await outcomes({ variant: { tokens: 2 } }))[10]).to.equal('fail: expected one token for a greedy sampler, found {"tokens":[7,7]}; fix: sample one token per request with a sampler');
    const extra = verdicts(await outcomes({ variant: { extraResult: true } }));
    expect(extra[10]).to.equal('fail: expected one result for one request, found 2 results; fix: answer exactly one result per request, in order');
    expect(extra[11]).to.equal('fail: expected adapter: one result per request, found 3 results; fix: answer exactly one result per request, in order');
  });

  it('reject: another code, the good neighbour failed too, a feature the kit does not know', async () => {
    expect(verdicts(await outcomes({ variant: { codes: { adapter: 'TOY_NO_ADAPTER', probe: 'TOY_NO_PROBE', logit_mask: 'TOY_NO_LOGIT_MASK', attention_mask: 'UNSUPPORTED', speculation: 'TOY_NO_SPEC', multimodal: 'TOY_NO_MEDIA' } } }))[11])
      .to.equal('fail: expected attention_mask: the code TOY_NO_MASK, found {"error":{"code":"UNSUPPORTED","message":"attention_mask is not supported"}}; fix: refuse that request alone with the declared code');
    // Each declared feature, answered with another code alone.
    for (const feature of ['adapter', 'probe', 'logit_mask', 'speculation', 'multimodal']) {
      const wrong = { ...CODES_SENT, [feature]: 'SOMETHING_ELSE' };
      expect(verdicts(await outcomes({ variant: { codes: wrong } }))[11], feature).to.match(new RegExp(`^fail: expected ${feature}: the code ${CODES_SENT[feature]}, found \\{"error":\\{"code":"SOMETHING_ELSE"`));
    }
    expect(verdicts(await outcomes({ variant: { failNeighbour: true } }))[11]).to.equal('fail: expected adapter: the good request beside it served, found {"error":{"code":"TOY_BUSY","message":"busy"}}; fix: fail only the request that carries the feature');
    const unknown = verdicts(await outcomes({ patch: 'descriptor.supports.rejects.push({ feature: "lora", code: "X" });' }));
    expect(unknown[6]).to.equal('fail: expected toy: supports.rejects features among adapter, probe, logit_mask, attention_mask, speculation, multimodal, found "lora"; fix: name one of those features, with the code your driver answers');
    expect(unknown[11]).to.equal('fail: expected a feature the kit knows (adapter, probe, logit_mask, attention_mask, speculation, multimodal), found "lora"; fix: name one of those in supports.rejects');
  });

  it('dispose: a process left running is named by its pid', async () => {
    const left = verdicts(await outcomes({ variant: { leaveProcess: true } }));
    const pid = Number(/process (\d+) ended/.exec(left[12]!)?.[1]);
    try {
      expect(left[12]).to.equal(`fail: expected process ${pid} ended by dispose(), found still running; fix: stop every process the driver started, then force them`);
    } finally {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  });

  it('dispose: a process started outside status() is found and named; one that ends soon after dispose is waited for', async () => {
    const leaked = verdicts(await outcomes({ variant: { hiddenChild: 'leave' } }))[12]!;
    const long = Number(/pid (\d+) \(sleep 60/.exec(leaked)?.[1]);
    const short = Number(/pid (\d+) \(sleep 61\)/.exec(leaked)?.[1]);
    try {
      // `sleep 60 0 0 ...` (68 characters) is named by its first 60; the two are listed with ", ".
      const named = [`pid ${long} (sleep 60${' 0'.repeat(26)})`, `pid ${short} (sleep 61)`];
      const message = (list: string[]) => `fail: expected no process started by the driver left after dispose(), found ${list.join(', ')}, ended by the kit; fix: stop every process the driver started (status() need not list them), then force them`;
      expect([message(named), message([...named].reverse())]).to.include(leaked);
    } finally {
      for (const pid of [long, short]) if (pid > 0) process.kill(pid, 'SIGKILL');
    }
    expect(verdicts(await outcomes({ variant: { hiddenChild: 'late' } }))[12], 'ended 300 ms after dispose').to.equal('pass');
  });

  it('dispose: a process the host started before the driver is not blamed on it', async () => {
    const host = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      expect(verdicts(await outcomes())).to.deep.equal(allPassBut({}));
    } finally {
      host.kill('SIGKILL');
    }
  });

  it('shows long values cut at 120 characters and values JSON cannot write in their own words', async () => {
    const long = verdicts(await outcomes({ patch: `descriptor.aliases = "${'a'.repeat(200)}";` }))[6];
    expect(long).to.equal(`fail: expected toy: aliases, an array of strings, found "${'a'.repeat(116)}...; fix: use aliases: [] when there are none`);
    const exact = verdicts(await outcomes({ patch: `descriptor.aliases = "${'a'.repeat(118)}";` }))[6];
    expect(exact, '120 characters with the quotes: shown whole').to.equal(`fail: expected toy: aliases, an array of strings, found "${'a'.repeat(118)}"; fix: use aliases: [] when there are none`);
    const big = verdicts(await outcomes({ patch: 'descriptor.supports = 10n;' }))[6];
    expect(big).to.equal('fail: expected toy: supports, an object, found 10; fix: declare supports: { start: boolean, rejects?: [...] }');
    const fn = verdicts(await outcomes({ patch: 'descriptor.schema = () => ({});' }))[6];
    expect(fn).to.equal('fail: expected toy: schema, a JSON Schema object, found a function; fix: give the draft-07 JSON Schema of the [model.driver] table');
  });

  it('throws failures with a stable code and their three parts', () => {
    const failure = new ConformanceFailure('one token', '2 tokens', 'sample one');
    expect([failure.code, failure.name, failure.expected, failure.found, failure.fix, failure.message]).to.deep.equal(['CONFORMANCE_FAILED', 'ConformanceFailure', 'one token', '2 tokens', 'sample one', 'expected one token, found 2 tokens; fix: sample one']);
  });

  it('needs a framework: the one given, or all four of describe, it, before and after as globals', () => {
    const g = globalThis as Record<string, unknown>;
    const names = ['describe', 'it', 'before', 'after'] as const;
    const saved = Object.fromEntries(names.map((n) => [n, g[n]]));
    try {
      for (const missing of [...names, undefined]) {
        const recorder = new RecordingFramework();
        for (const n of names) g[n] = n === missing ? undefined : recorder[n];
        const define = () => defineDriverConformance({ packageDir: root });
        if (missing) expect(define, `without ${missing}`).to.throw('no test framework: pass { framework: { describe, it, before, after } }, run under mocha, or run `pie-trtllm conformance DIR`');
        else {
          define();
          expect(recorder.suites[0], 'all four present: the globals are used').to.equal(`Pie driver plugin conformance: ${root}`);
        }
      }
    } finally {
      for (const n of names) g[n] = saved[n];
    }
  });
});
