import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { container as globalContainer } from 'tsyringe';
import { DRIVER_REGISTRY, PLUGIN_API_VERSION } from '../api-version.js';
import { createAjv } from '../config/ajv-instance.js';
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

interface Loaded {
  pkg: { name?: string; keywords?: string[]; pie?: { apiVersion?: unknown; plugin?: unknown } };
  plugin?: PiePluginModule;
  loadError?: Error;
}

function frameworkFromGlobals(): Framework {
  const g = globalThis as unknown as Partial<Framework>;
  if (!g.describe || !g.it || !g.before || !g.after) throw new Error('no test framework: pass { framework: { describe, it, before, after } } or run under mocha');
  return g as Framework;
}

function freshRegistry() {
  const container = globalContainer.createChildContainer();
  const registry = new ReferenceDriverRegistry();
  container.register(DRIVER_REGISTRY, { useValue: registry });
  return { container, registry };
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
  const descriptors = (): DriverDescriptor[] => {
    assert.ok(loaded.plugin, `the plugin module did not load${loaded.loadError ? `: ${loaded.loadError.message}` : ''}`);
    const { container, registry } = freshRegistry();
    loaded.plugin.register(container);
    return registry.list().map((entry) => registry.resolve(entry.type));
  };

  describe(`Pie driver plugin conformance: ${options.packageDir}`, () => {
    before(async () => {
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
        assert.equal(loaded.pkg.pie?.apiVersion, PLUGIN_API_VERSION, 'pie.apiVersion');
        assert.equal(typeof loaded.pkg.pie?.plugin, 'string', 'pie.plugin');
      });
      it('package.json has the keywords pie-plugin and pie-driver', () => {
        assert.ok(loaded.pkg.keywords?.includes('pie-plugin'), 'keyword pie-plugin');
        assert.ok(loaded.pkg.keywords?.includes('pie-driver'), 'keyword pie-driver');
      });
      it('the plugin module default-exports { apiVersion: 1, name, register(container) }', () => {
        assert.ok(loaded.plugin, `module did not load${loaded.loadError ? `: ${loaded.loadError.message}` : ''}`);
        assert.equal(loaded.plugin.apiVersion, PLUGIN_API_VERSION);
        assert.equal(typeof loaded.plugin.name, 'string');
        assert.equal(typeof loaded.plugin.register, 'function');
      });
    });

    describe('registration', () => {
      it('registers at least one driver into a fresh child container and leaves the global container untouched', () => {
        assert.ok(descriptors().length > 0, 'no driver registered');
        assert.equal(globalContainer.isRegistered(DRIVER_REGISTRY), false, 'global container gained a registry');
      });
      it('can register again into another fresh container', () => {
        const first = descriptors().map((d) => d.type);
        assert.deepEqual(descriptors().map((d) => d.type), first);
      });
    });

    describe('descriptor', () => {
      it('has a type, aliases, schema, validate, create, examples and supports', () => {
        for (const d of descriptors()) {
          assert.equal(typeof d.type, 'string', 'type');
          assert.ok(Array.isArray(d.aliases) && d.aliases.every((a) => typeof a === 'string'), `${d.type}: aliases`);
          assert.ok(d.schema !== null && typeof d.schema === 'object', `${d.type}: schema`);
          assert.equal(typeof d.validate, 'function', `${d.type}: validate`);
          assert.equal(typeof d.create, 'function', `${d.type}: create`);
          assert.ok(Array.isArray(d.examples) && d.examples.length > 0, `${d.type}: examples`);
          assert.ok(d.supports !== null && typeof d.supports === 'object', `${d.type}: supports`);
        }
      });
      it('its schema compiles under Ajv strict mode as draft-07 and documents every property', () => {
        for (const d of descriptors()) {
          assert.ok(d.schema && typeof d.schema === 'object', `${d.type}: schema missing`);
          assert.equal(d.schema.$schema, 'http://json-schema.org/draft-07/schema#', `${d.type}: $schema`);
          createAjv().compile(d.schema);
          assert.deepEqual(undocumented(d.schema as SchemaNode, d.type, []), [], `${d.type}: properties without description`);
        }
      });
      it('validate rejects garbage with problems that name a path, and accepts its own examples', () => {
        for (const d of descriptors()) {
          for (const garbage of [null, 42, 'x', [], { type: d.type, no_such_key_anywhere: true }]) {
            const result = d.validate(garbage);
            assert.equal(result.ok, false, `${d.type}: accepted ${JSON.stringify(garbage)}`);
            if (!result.ok) {
              assert.ok(result.problems.length > 0, 'no problems listed');
              for (const p of result.problems) assert.ok(typeof p.path === 'string' && p.path.length > 0 && typeof p.message === 'string' && p.message.length > 0, `problem ${JSON.stringify(p)}`);
            }
          }
          for (const example of d.examples) {
            const result = d.validate(example);
            assert.equal(result.ok, true, `${d.type}: rejected its example ${JSON.stringify(example)}: ${JSON.stringify(result.problems)}`);
          }
        }
      });
    });

    describe('start, forward, reject, dispose', () => {
      let instance: DriverInstance | undefined;
      let descriptor: DriverDescriptor | undefined;
      const pids: number[] = [];
      const skipUnlessStartable = (test: { skip(): void }) => {
        descriptor ??= loaded.plugin ? descriptors()[0] : undefined;
        if (!descriptor?.supports?.start) test.skip();
      };

      after(async () => {
        await instance?.dispose();
      });

      it('starts and reports capabilities', async function () {
        skipUnlessStartable(this);
        this.timeout?.(options.startTimeoutMs ?? 60_000);
        instance = descriptor!.create({ model: { name: 'conformance', hf_repo: 'conformance/model' }, table: descriptor!.examples[0], ...descriptor!.supports.conformance });
        const caps = await instance.start();
        for (const key of ['max_forward_tokens', 'max_forward_requests', 'total_pages', 'kv_page_size', 'vocab_size']) {
          assert.equal(typeof (caps as unknown as Record<string, unknown>)[key], 'number', `capability ${key}`);
        }
        for (const s of (await instance.status()) as { pid?: unknown }[]) if (typeof s.pid === 'number') pids.push(s.pid);
      });

      it('answers a greedy forward with one token', async function () {
        skipUnlessStartable(this);
        assert.ok(instance, 'the driver did not start');
        const results = await instance.forward(conformanceRequests.greedy());
        assert.equal(results.length, 1);
        const [result] = results;
        assert.ok(result && 'tokens' in result && result.tokens.length === 1, `expected one token, got ${JSON.stringify(result)}`);
      });

      it('answers each declared unsupported feature with its code, next to a good request', async function () {
        skipUnlessStartable(this);
        assert.ok(instance, 'the driver did not start');
        for (const { feature, code } of descriptor!.supports.rejects ?? []) {
          const build = conformanceRequests.rejected[feature];
          assert.ok(build, `the kit has no request for feature ${feature}`);
          const results = await instance.forward(build());
          assert.equal(results.length, 2, `${feature}: one result per request`);
          assert.ok(results[0] && 'error' in results[0] && results[0].error.code === code, `${feature}: expected ${code}, got ${JSON.stringify(results[0])}`);
          assert.ok(results[1] && 'tokens' in results[1], `${feature}: the good request beside it failed: ${JSON.stringify(results[1])}`);
        }
      });

      it('dispose leaves no process behind', async function () {
        skipUnlessStartable(this);
        assert.ok(instance, 'the driver did not start');
        await instance.dispose();
        instance = undefined;
        for (const pid of pids) {
          let alive = true;
          try {
            process.kill(pid, 0);
          } catch {
            alive = false;
          }
          assert.equal(alive, false, `process ${pid} is still running`);
        }
      });
    });
  });
}
