import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { type ProcessEntry, processesWithEnvironment, processTree, signalProcesses } from '../../runtime/process-tree.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { container as globalContainer } from 'tsyringe';
import { DRIVER_REGISTRY, PLUGIN_API_VERSION } from '../api-version.js';
import { createAjv } from '../../config/ajv-instance.js';
import type { DriverDescriptor, DriverInstance, PiePluginModule } from '../driver-contract.js';
import { ReferenceDriverRegistry } from '../reference-registry.js';
import { conformanceRequests } from './conformance-requests.js';

type TestFn = (this: { skip(): void; timeout?(ms: number): void }) => unknown;

/** The test framework, injected (mocha's globals by default), as abstract-level's suite takes tape. */
export interface Framework {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: TestFn): unknown;
  before(body: () => unknown): unknown;
  after(body: () => unknown): unknown;
}

export interface ConformanceOptions {
  /** The folder of the plugin package under test (its package.json has the `pie` field). */
  packageDir: string;
  framework?: Framework;
  /** Per-test timeout for the start-up tests, in milliseconds. */
  startTimeoutMs?: number;
}

/**
 * A failed conformance check, in one line: what was expected, what came, and what to do. The kit
 * throws these instead of bare assertions, so a test runner's diff never hides the reason.
 */
export class ConformanceFailure extends Error {
  readonly code = 'CONFORMANCE_FAILED';
  constructor(
    readonly expected: string,
    readonly found: string,
    readonly fix: string,
  ) {
    super(`expected ${expected}, found ${found}; fix: ${fix}`);
    this.name = 'ConformanceFailure';
  }
}

function expectThat(ok: unknown, expected: string, found: () => string, fix: string): asserts ok {
  if (!ok) throw new ConformanceFailure(expected, found(), fix);
}

/** A value as a failure message shows it: short, and never a throw. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = typeof value === 'function' ? `a function` : JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/** The feature names `supports.rejects` may list, with the request the kit sends for each. */
export const REJECTABLE_FEATURES = Object.keys(conformanceRequests.rejected);

interface Loaded {
  pkg: { name?: string; keywords?: string[]; pie?: { apiVersion?: unknown; plugin?: unknown } };
  plugin?: PiePluginModule;
  loadError?: Error;
}

function frameworkFromGlobals(): Framework {
  const g = globalThis as unknown as Partial<Framework>;
  if (!g.describe || !g.it || !g.before || !g.after) throw new Error('no test framework: pass { framework: { describe, it, before, after } }, run under mocha, or run `pie-trtllm conformance DIR`');
  return g as Framework;
}

function freshRegistry() {
  const container = globalContainer.createChildContainer();
  const registry = new ReferenceDriverRegistry();
  container.register(DRIVER_REGISTRY, { useValue: registry });
  return { container, registry };
}

/** The variable every process the driver starts inherits from the kit, to find them after dispose
 *  wherever they went (a process that detached itself from its parent and session included). */
export const PROCESS_MARKER = 'PIE_CONFORMANCE_PROCESS_MARK';

/** The methods that change a tsyringe container. */
const CONTAINER_WRITES = ['register', 'registerSingleton', 'registerType', 'registerInstance', 'reset', 'clearInstances'] as const;

/** Records every write to the global container from `start()` until `stop()` (the import of the
 *  plugin module and every register() call included): a plugin must leave it whole. */
class GlobalContainerWatch {
  readonly writes: string[] = [];
  private readonly originals = new Map<string, unknown>();

  start(): void {
    const target = globalContainer as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of CONTAINER_WRITES) {
      const original = target[method]!;
      this.originals.set(method, original);
      target[method] = (...args: unknown[]) => {
        this.writes.push(`${method}(${describeToken(args[0])})`);
        return original.apply(globalContainer, args);
      };
    }
  }

  stop(): void {
    const target = globalContainer as unknown as Record<string, unknown>;
    for (const [method, original] of this.originals) target[method] = original;
    this.originals.clear();
  }
}

function describeToken(token: unknown): string {
  if (typeof token === 'function') return token.name || 'a class';
  if (typeof token === 'symbol') return token.toString();
  return typeof token === 'string' ? JSON.stringify(token) : 'a token';
}

type SchemaNode = { properties?: Record<string, SchemaNode>; description?: unknown; items?: SchemaNode };

function undocumented(schema: SchemaNode, at: string, out: string[]): string[] {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (child === null || typeof child !== 'object') continue;
    if (typeof child.description !== 'string' || !child.description) out.push(`${at}.${key}`);
    undocumented(child, `${at}.${key}`, out);
  }
  return out;
}

/**
 * Registers the conformance suites for a Pie driver plugin. Tests that need a capability the plugin
 * does not declare (`supports`) are skipped, never edited out.
 */
export function defineDriverConformance(options: ConformanceOptions): void {
  const { describe, it, before, after } = options.framework ?? frameworkFromGlobals();
  const loaded: Loaded = { pkg: {} };
  /** How many drivers the first register() call registered (later checks need not call it again to know). */
  let registeredCount: number | undefined;
  /** Why the registration-dependent checks cannot run, or undefined when they can. */
  const notRegistrable = (): string | undefined => {
    if (!loaded.plugin) return `the plugin module did not load${loaded.loadError ? ` (${loaded.loadError.message.split('\n')[0]})` : ''}`;
    if (typeof loaded.plugin.register !== 'function') return 'the plugin module has no register(container) function';
    return undefined;
  };
  /** Checks of the registered drivers skip when register() registered none: a loop over no
   *  descriptors would pass having checked nothing. */
  const noDrivers = (test: { skip(reason?: string): void }): boolean => {
    if (cannotRegister(test)) return true;
    let count = registeredCount;
    if (count === undefined) {
      try {
        count = descriptors().length;
      } catch {
        return false; // the check itself reports the throw
      }
    }
    if (count === 0) test.skip('skipped: register(container) registered no driver (see the registration check)');
    return count === 0;
  };
  /** Checks that need a registered driver skip, with the reason, when registration is impossible.
   *  True when skipped: the check returns at once (node:test's skip does not stop the function). */
  const cannotRegister = (test: { skip(reason?: string): void }): boolean => {
    const why = notRegistrable();
    if (why) test.skip(`skipped: ${why} (see the manifest checks)`);
    return why !== undefined;
  };
  const descriptors = (): DriverDescriptor[] => {
    const { container, registry } = freshRegistry();
    try {
      loaded.plugin!.register(container);
    } catch (error) {
      throw new ConformanceFailure('register(container) to register a driver', `it threw ${(error as Error).message}`, 'register must only resolve the registry token and call registry.register(descriptor, owner)');
    }
    const found = registry.list().map((entry) => registry.resolve(entry.type));
    registeredCount ??= found.length;
    return found;
  };

  const globalWrites = new GlobalContainerWatch();

  describe(`Pie driver plugin conformance: ${options.packageDir}`, () => {
    after(() => globalWrites.stop());
    before(async () => {
      globalWrites.start();
      loaded.pkg = JSON.parse(readFileSync(join(options.packageDir, 'package.json'), 'utf8'));
      const modulePath = loaded.pkg.pie?.plugin;
      if (typeof modulePath !== 'string') return;
      try {
        loaded.plugin = ((await import(pathToFileURL(join(options.packageDir, modulePath)).href)) as { default: PiePluginModule }).default;
      } catch (error) {
        loaded.loadError = error as Error;
      }
    });

    describe('manifest and module', () => {
      it('package.json has a `pie` field with apiVersion 1 and the plugin module path', () => {
        const pie = loaded.pkg.pie;
        expectThat(pie?.apiVersion === PLUGIN_API_VERSION, `"pie": { "apiVersion": ${PLUGIN_API_VERSION}, ... } in package.json`, () => `apiVersion ${shown(pie?.apiVersion)}`, `set "pie": { "apiVersion": ${PLUGIN_API_VERSION}, "plugin": "<path of the built ES module>" }`);
        expectThat(typeof pie?.plugin === 'string', 'pie.plugin, the path of the plugin module', () => shown(pie?.plugin), 'set "pie.plugin" to the built module\'s path relative to package.json, e.g. "./dist/plugin.js"');
      });
      it('package.json has the keywords pie-plugin and pie-driver', () => {
        const keywords = loaded.pkg.keywords ?? [];
        const missing = ['pie-plugin', 'pie-driver'].filter((k) => !keywords.includes(k));
        expectThat(missing.length === 0, 'the keywords pie-plugin and pie-driver', () => `keywords ${shown(keywords)}`, `add ${missing.map((k) => `"${k}"`).join(' and ')} to "keywords" in package.json`);
      });
      it('the plugin module default-exports { apiVersion: 1, name, register(container) }', () => {
        expectThat(loaded.plugin, 'the module named by pie.plugin to import', () => (loaded.loadError ? `an import error: ${loaded.loadError.message.split('\n')[0]}` : 'no module'), 'build the package and check the pie.plugin path');
        const p = loaded.plugin as unknown as Record<string, unknown>;
        expectThat(p.apiVersion === PLUGIN_API_VERSION, `default export's apiVersion ${PLUGIN_API_VERSION}`, () => shown(p.apiVersion), `export default { apiVersion: ${PLUGIN_API_VERSION}, name, register }`);
        expectThat(typeof p.name === 'string' && p.name.length > 0, 'a non-empty name', () => shown(p.name), 'give the default export a name (the package name is usual)');
        expectThat(typeof p.register === 'function', 'register(container), a function', () => shown(p.register), 'export default { ..., register(container) { container.resolve(DRIVER_REGISTRY).register(descriptor, name) } }');
      });
    });

    describe('registration', () => {
      it('registers at least one driver into a fresh child container and leaves the global container untouched', function () {
        if (cannotRegister(this)) return;
        const count = descriptors().length;
        expectThat(count > 0, 'at least one driver registered', () => 'none', 'call registry.register(descriptor, owner) in register(container)');
        expectThat(!globalContainer.isRegistered(DRIVER_REGISTRY), 'the global container left alone', () => 'a registry registered in it', 'register only into the container register() is given, never the global one');
        expectThat(globalWrites.writes.length === 0, 'the global container left alone by the plugin module and register()', () => globalWrites.writes.join(', '), 'register only into the container register() is given; no @singleton or @registry decorators and no calls on tsyringe\'s global container');
      });
      it('can register again into another fresh container', function () {
        if (noDrivers(this)) return;
        const first = descriptors().map((d) => d.type);
        const second = descriptors().map((d) => d.type);
        expectThat(shown(first) === shown(second), `the same drivers again (${shown(first)})`, () => shown(second), 'keep no state between register calls: a host may create several containers');
      });
    });

    describe('descriptor', () => {
      it('has a type, aliases, schema, validate, create, examples and supports', function () {
        if (noDrivers(this)) return;
        for (const d of descriptors()) {
          const name = typeof d.type === 'string' ? d.type : 'the descriptor';
          expectThat(typeof d.type === 'string', 'type, a string', () => shown(d.type), 'give the descriptor its canonical driver type');
          expectThat(Array.isArray(d.aliases) && d.aliases.every((a) => typeof a === 'string'), `${name}: aliases, an array of strings`, () => shown(d.aliases), 'use aliases: [] when there are none');
          expectThat(d.schema !== null && typeof d.schema === 'object', `${name}: schema, a JSON Schema object`, () => shown(d.schema), 'give the draft-07 JSON Schema of the [model.driver] table');
          expectThat(typeof d.validate === 'function', `${name}: validate(table), a function`, () => shown(d.validate), 'validate the table against the schema and return { ok, config, problems }');
          expectThat(typeof d.create === 'function', `${name}: create(options), a function`, () => shown(d.create), 'return a driver instance from create(options)');
          expectThat(Array.isArray(d.examples) && d.examples.length > 0, `${name}: examples, at least one valid table`, () => shown(d.examples), 'list at least one valid [model.driver] table');
          expectThat(d.supports !== null && typeof d.supports === 'object', `${name}: supports, an object`, () => shown(d.supports), 'declare supports: { start: boolean, rejects?: [...] }');
          for (const entry of d.supports?.rejects ?? []) {
            expectThat(REJECTABLE_FEATURES.includes(entry.feature), `${name}: supports.rejects features among ${REJECTABLE_FEATURES.join(', ')}`, () => shown(entry.feature), 'name one of those features, with the code your driver answers');
          }
        }
      });
      it('its schema compiles under Ajv strict mode as draft-07 and documents every property', function () {
        if (noDrivers(this)) return;
        for (const d of descriptors()) {
          expectThat(d.schema && typeof d.schema === 'object', `${d.type}: a schema`, () => shown(d.schema), 'give the descriptor its JSON Schema');
          expectThat(d.schema.$schema === 'http://json-schema.org/draft-07/schema#', `${d.type}: $schema draft-07`, () => shown(d.schema.$schema), 'set "$schema": "http://json-schema.org/draft-07/schema#"');
          try {
            createAjv().compile(d.schema);
          } catch (error) {
            throw new ConformanceFailure(`${d.type}: a schema Ajv compiles in strict mode`, (error as Error).message, 'fix the schema where Ajv says (unknown keywords need a vocabulary)');
          }
          const missing = undocumented(d.schema as SchemaNode, d.type, []);
          expectThat(missing.length === 0, `${d.type}: a description on every property`, () => `none on ${missing.join(', ')}`, 'add "description" to each, editors show it');
        }
      });
      it('validate rejects garbage with problems that name a path, and accepts its own examples, which its schema accepts too', function () {
        if (noDrivers(this)) return;
        for (const d of descriptors()) {
          for (const garbage of [null, 42, 'x', [], { type: d.type, no_such_key_anywhere: true }]) {
            const result = d.validate(garbage);
            expectThat(result.ok === false, `${d.type}: validate(${shown(garbage)}) to fail`, () => 'ok: true', 'validate against the schema with additionalProperties: false');
            if (!result.ok) {
              expectThat(result.problems.length > 0, `${d.type}: problems for ${shown(garbage)}`, () => 'an empty list', 'list at least one { path, message }');
              for (const p of result.problems) {
                expectThat(typeof p.path === 'string' && p.path.length > 0 && typeof p.message === 'string' && p.message.length > 0, `${d.type}: problems with a path and a message`, () => shown(p), 'give each problem the TOML path and a sentence');
              }
            }
          }
          // Editors check tables against the schema, Pie's host against validate: both must accept an example.
          let bySchema: ((table: unknown) => boolean) & { errors?: unknown } = () => true;
          try {
            bySchema = createAjv().compile(d.schema);
          } catch {
            // A schema that does not compile is the schema check's failure.
          }
          for (const example of d.examples) {
            const result = d.validate(example);
            expectThat(result.ok, `${d.type}: its example ${shown(example)} to validate`, () => shown(result.problems), 'make the examples valid, or the schema accept them');
            expectThat(bySchema(example), `${d.type}: its example ${shown(example)} to match its own schema`, () => shown(bySchema.errors), 'make the example match the schema (editors check tables against it), or the schema accept it');
          }
        }
      });
    });

    describe('start, forward, reject, dispose', () => {
      let instance: DriverInstance | undefined;
      let descriptor: DriverDescriptor | undefined;
      const pids: number[] = [];
      const before: ProcessEntry[] = [];
      const marker = randomBytes(12).toString('hex');
      /** True when the driver cannot be started here: the check is skipped, with why. */
      const cannotStart = (test: { skip(reason?: string): void }): boolean => {
        if (noDrivers(test)) return true;
        descriptor ??= descriptors()[0];
        if (descriptor?.supports?.start) return false;
        test.skip('skipped: supports.start is false (this machine cannot start the driver)');
        return true;
      };
      const started = (): DriverInstance => {
        expectThat(instance, 'a started driver', () => 'none: start failed above', 'fix "starts and reports capabilities" first');
        return instance;
      };

      after(async () => {
        await instance?.dispose();
        if (process.env[PROCESS_MARKER] === marker) delete process.env[PROCESS_MARKER];
      });

      it('starts and reports capabilities', async function () {
        if (cannotStart(this)) return;
        this.timeout?.(options.startTimeoutMs ?? 60_000);
        // Every process below this one before the start: what dispose must leave is exactly these.
        before.push(...processTree(process.pid).filter((p) => p.pid !== process.pid), ...processesWithEnvironment(PROCESS_MARKER, marker));
        // Inherited by whatever the driver starts, however far it goes.
        process.env[PROCESS_MARKER] = marker;
        instance = descriptor!.create({ model: { name: 'conformance', hf_repo: 'conformance/model' }, table: descriptor!.examples[0], ...descriptor!.supports.conformance });
        const caps = (await instance.start()) as unknown as Record<string, unknown>;
        for (const key of ['max_forward_tokens', 'max_forward_requests', 'total_pages', 'kv_page_size', 'vocab_size']) {
          expectThat(typeof caps[key] === 'number', `capability ${key}, a number`, () => shown(caps[key]), "report Pie's capability fields (snake_case) from start()");
        }
        for (const s of (await instance.status()) as { pid?: unknown }[]) if (typeof s.pid === 'number') pids.push(s.pid);
      });

      it('answers a greedy forward with one token', async function () {
        if (cannotStart(this)) return;
        const results = await started().forward(conformanceRequests.greedy());
        expectThat(results.length === 1, 'one result for one request', () => `${results.length} results`, 'answer exactly one result per request, in order');
        const [result] = results;
        expectThat(result && 'tokens' in result && result.tokens.length === 1, 'one token for a greedy sampler', () => shown(result), 'sample one token per request with a sampler');
      });

      it('answers each declared unsupported feature with its code, next to a good request', async function () {
        if (cannotStart(this)) return;
        for (const { feature, code } of descriptor!.supports.rejects ?? []) {
          const build = conformanceRequests.rejected[feature];
          expectThat(build, `a feature the kit knows (${REJECTABLE_FEATURES.join(', ')})`, () => shown(feature), 'name one of those in supports.rejects');
          const results = await started().forward(build());
          expectThat(results.length === 2, `${feature}: one result per request`, () => `${results.length} results`, 'answer exactly one result per request, in order');
          expectThat(results[0] && 'error' in results[0] && results[0].error.code === code, `${feature}: the code ${code}`, () => shown(results[0]), 'refuse that request alone with the declared code');
          expectThat(results[1] && 'tokens' in results[1], `${feature}: the good request beside it served`, () => shown(results[1]), 'fail only the request that carries the feature');
        }
      });

      it('dispose leaves no process behind', async function () {
        if (cannotStart(this)) return;
        await started().dispose();
        instance = undefined;
        for (const pid of pids) {
          let alive = true;
          try {
            process.kill(pid, 0);
          } catch {
            alive = false;
          }
          expectThat(!alive, `process ${pid} ended by dispose()`, () => 'still running', 'stop every process the driver started, then force them');
        }
        // Not only the pids status() chose to report: every process started since, below this
        // one or anywhere else with the kit's mark (a detached daemon reparented to init).
        const known = new Set(before.map((p) => `${p.pid}:${p.startTime}`));
        const startedSince = () => {
          const found = new Map<string, ProcessEntry>();
          for (const p of [...processTree(process.pid), ...processesWithEnvironment(PROCESS_MARKER, marker)]) {
            if (p.pid !== process.pid && !known.has(`${p.pid}:${p.startTime}`)) found.set(`${p.pid}:${p.startTime}`, p);
          }
          return [...found.values()];
        };
        for (let i = 0; i < 100 && startedSince().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        const left = startedSince();
        // Ended here, once named: a leaked process must not hold the run (or the machine) after it.
        signalProcesses(left, 'SIGKILL');
        expectThat(left.length === 0, 'no process started by the driver left after dispose()', () => `${left.map((p) => `pid ${p.pid} (${p.command.slice(0, 60)})`).join(', ')}, ended by the kit`, 'stop every process the driver started (status() need not list them), then force them');
      });
    });
  });
}
