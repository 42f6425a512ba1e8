import 'reflect-metadata';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { container as globalContainer } from 'tsyringe';
import { createHost } from '../../src/cli/local-host.js';
import { DRIVER_REGISTRY } from '../../src/plugin/api-version.js';
import { discoverPlugins } from '../../src/plugin/discovery.js';
import plugin, { PLUGIN_NAME, tensorRtLlmDescriptor } from '../../src/plugin/plugin.js';
import { PluginError } from '../../src/plugin/plugin-errors.js';
import { ReferenceDriverRegistry } from '../../src/plugin/reference-registry.js';

/** Writes files (path → text, or an object written as JSON) under a fresh folder. */
function tree(files: Record<string, string | object>): string {
  const root = mkdtempSync(join(tmpdir(), 'pie-discovery-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

/** A plugin module registering driver `type` (owner `name`), as ESM source. */
const pluginSource = (name: string, type: string, extra = '') =>
  `export default { apiVersion: 1, name: ${JSON.stringify(name)}, register(c) { ${extra} c.resolve(Symbol.for('pie.DriverRegistry')).register({ type: ${JSON.stringify(type)}, aliases: [], schema: {}, validate: () => ({ ok: true, problems: [] }), create() { throw new Error('no'); }, examples: [], supports: { start: false } }, ${JSON.stringify(name)}); } };\n`;

/** A plugin package folder's files under `at`. */
function pluginPackage(at: string, name: string, module: string, manifest: object = { apiVersion: 1, plugin: './plugin.mjs' }, version: string | null = '2.0.0') {
  return { [`${at}/package.json`]: { name, ...(version ? { version } : {}), type: 'module', pie: manifest }, [`${at}/plugin.mjs`]: module };
}

const hostContainer = () => createHost([]).container;

describe('plugin discovery edges', () => {
  it('says why the host package cannot be read: missing, or not JSON', async () => {
    const missing = tree({ 'readme.txt': 'x' });
    const error = await discoverPlugins({ hostDir: missing, container: hostContainer() }).catch((e: PluginError) => e);
    expect([(error as PluginError).code, (error as Error).message]).to.deep.equal([
      'HOST_PACKAGE_UNREADABLE',
      `${join(missing, 'package.json')} does not exist; run this in the host package's folder (the one whose package.json lists the driver plugins), or give that folder (\`pie-trtllm list --dir DIR\`)`,
    ]);
    const broken = tree({ 'package.json': '{ not json' });
    const notJson = await discoverPlugins({ hostDir: broken, container: hostContainer() }).catch((e: Error) => e);
    expect((notJson as Error).message).to.match(new RegExp(`^${join(broken, 'package.json').replace(/[/.]/g, '\\$&')} cannot be read as JSON \\(.+\\); run this in the host package's folder`));
  });

  it('needs a registry in the container or one of its parents', async () => {
    const hostDir = tree({ 'package.json': { name: 'h' } });
    const bare = globalContainer.createChildContainer();
    const error = await discoverPlugins({ hostDir, container: bare }).catch((e: PluginError) => e);
    expect([(error as PluginError).code, (error as Error).message]).to.deep.equal(['REGISTRY_MISSING', 'the host container has no driver registry under Symbol.for("pie.DriverRegistry")']);
    // A registry held by the parent of the container the host passes is found.
    const parent = globalContainer.createChildContainer();
    parent.register(DRIVER_REGISTRY, { useValue: new ReferenceDriverRegistry() });
    const report = await discoverPlugins({ hostDir, container: parent.createChildContainer() });
    expect(report).to.deep.equal({ loaded: [], skipped: [], conflicts: [] });
  });

  it('loads the host itself when it is a plugin, optional dependencies, explicit names and paths, each once', async () => {
    const root = tree({
      'host/package.json': { name: 'host-plugin', version: '1.0.0', type: 'module', pie: { apiVersion: 1, plugin: './plugin.mjs' }, dependencies: { dep: '*' }, optionalDependencies: { opt: '*', 'opt-absent': '*' } },
      'host/plugin.mjs': pluginSource('host-plugin', 'host-type'),
      ...pluginPackage('host/node_modules/dep', 'dep', pluginSource('dep', 'dep-type')),
      ...pluginPackage('host/node_modules/opt', 'opt', pluginSource('opt', 'opt-type')),
      ...pluginPackage('host/node_modules/named', 'named', pluginSource('named', 'named-type')),
      ...pluginPackage('elsewhere/by-path', 'by-path', pluginSource('by-path', 'path-type'), undefined, null),
      ...pluginPackage('absolute/by-abs', 'by-abs', pluginSource('by-abs', 'abs-type')),
    });
    const hostDir = join(root, 'host');
    const { container } = createHost([]);
    const report = await discoverPlugins({ hostDir, container, explicit: ['named', '../elsewhere/by-path', join(root, 'absolute', 'by-abs'), 'dep', 'not-installed'] });
    expect(report.loaded.map((p) => [p.package, p.version, p.drivers.map((d) => d.type)])).to.deep.equal([
      ['host-plugin', '1.0.0', ['host-type']],
      ['dep', '2.0.0', ['dep-type']],
      ['opt', '2.0.0', ['opt-type']],
      ['named', '2.0.0', ['named-type']],
      ['by-path', '0.0.0', ['path-type']],
      ['by-abs', '2.0.0', ['abs-type']],
    ]);
    // An optional dependency that is absent is fine; a name asked for explicitly is not.
    expect(report.skipped).to.deep.equal([{ package: 'not-installed', reason: 'declared but not installed (run npm install)' }]);
    // `dep`, both a dependency and named explicitly, was loaded once: no clash with itself.
    expect(report.conflicts).to.deep.equal([]);
  });

  it('finds a package hoisted to a parent folder, passing over a folder without package.json', async () => {
    const root = tree({
      'workspace/packages/host/package.json': { name: 'h', dependencies: { hoisted: '*' } },
      'workspace/packages/host/node_modules/hoisted/README.md': 'a leftover folder, no package.json',
      ...pluginPackage('workspace/node_modules/hoisted', 'hoisted', pluginSource('hoisted', 'hoisted-type')),
    });
    const report = await discoverPlugins({ hostDir: join(root, 'workspace/packages/host'), container: hostContainer() });
    expect(report.loaded.map((p) => p.package)).to.deep.equal(['hoisted']);
  });

  it('skips each broken plugin with its own reason and keeps going', async () => {
    const exported = (value: string) => `export default ${value};\n`;
    const root = tree({
      'host/package.json': { name: 'h', dependencies: Object.fromEntries(['no-name', 'no-register', 'string-version', 'module-api-2', 'throws-on-load', 'plugin-not-string', 'bad-json', 'good', 'duplicate', 'register-fails'].map((n) => [n, '*'])) },
      ...pluginPackage('host/node_modules/no-name', 'no-name', exported('{ apiVersion: 1, register() {} }')),
      ...pluginPackage('host/node_modules/no-register', 'no-register', exported('{ apiVersion: 1, name: "x", register: 1 }')),
      ...pluginPackage('host/node_modules/string-version', 'string-version', exported('{ apiVersion: "1", name: "x", register() {} }')),
      ...pluginPackage('host/node_modules/module-api-2', 'module-api-2', exported('{ apiVersion: 2, name: "x", register() {} }')),
      ...pluginPackage('host/node_modules/throws-on-load', 'throws-on-load', 'throw new Error("boom at load\\nsecond line");\n'),
      ...pluginPackage('host/node_modules/plugin-not-string', 'plugin-not-string', '', { apiVersion: 1, plugin: 7 }),
      'host/node_modules/bad-json/package.json': '{ "name": ',
      ...pluginPackage('host/node_modules/good', 'good', pluginSource('good', 'shared-type')),
      ...pluginPackage('host/node_modules/duplicate', 'duplicate', pluginSource('duplicate', 'shared-type')),
      ...pluginPackage('host/node_modules/register-fails', 'register-fails', exported('{ apiVersion: 1, name: "x", register() { throw new Error("no GPU"); } }')),
    });
    const report = await discoverPlugins({ hostDir: join(root, 'host'), container: hostContainer() });
    const skipped = Object.fromEntries(report.skipped.map((s) => [s.package, s.reason]));
    const notAPlugin = 'default export is not a plugin: expected { apiVersion, name, register(container) }';
    expect(skipped['no-name']).to.equal(notAPlugin);
    expect(skipped['no-register']).to.equal(notAPlugin);
    expect(skipped['string-version']).to.equal(notAPlugin);
    expect(skipped['module-api-2']).to.equal('plugin module declares API version 2 (this host supports 1)');
    expect(skipped['throws-on-load']).to.equal('plugin module failed to load: boom at load');
    expect(skipped['plugin-not-string']).to.equal('`pie.plugin` must name the plugin module (a path inside the package)');
    expect(skipped['bad-json']).to.match(/^cannot read package\.json: /);
    expect(skipped['register-fails']).to.equal('register() failed: no GPU');
    // Only a name clash is a conflict; the first owner keeps the name.
    expect(report.conflicts).to.deep.equal([{ package: 'duplicate', reason: 'register() failed: driver name "shared-type" is claimed by both good and duplicate; uninstall one of them' }]);
    expect(skipped).not.to.have.property('duplicate');
    expect(report.loaded.map((p) => p.package)).to.deep.equal(['good']);
  });
});

describe('plugin discovery: plugins that throw anything and exports of any shape', () => {
  it('reports and skips each one, and registers the good plugin beside them', async () => {
    const exported = (value: string) => `export default ${value};\n`;
    const hostile: Record<string, string> = {
      'register-throws-null': exported('{ apiVersion: 1, name: "x", register() { throw null; } }'),
      'register-throws-undefined': exported('{ apiVersion: 1, name: "x", register() { throw undefined; } }'),
      'register-throws-proxy': exported('{ apiVersion: 1, name: "x", register() { throw new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } }); } }'),
      'module-throws-null': 'throw null;\n',
      'module-throws-undefined': 'throw undefined;\n',
      'module-throws-string': 'throw "plain text";\n',
      'proxy-export': exported('new Proxy({}, { get() { throw new Error("proxy trap"); } })'),
      'name-getter-throws': exported('{ apiVersion: 1, get name() { throw new Error("getter"); }, register() {} }'),
      'register-rejects': exported('{ apiVersion: 1, name: "x", async register() { throw new Error("later"); } }'),
    };
    const names = [...Object.keys(hostile), 'good', 'pie-is-a-string', 'package-is-null', 'dependencies-is-a-string'];
    const root = tree({
      'host/package.json': { name: 'h', dependencies: Object.fromEntries(names.map((n) => [n, '*'])) },
      ...Object.assign({}, ...Object.entries(hostile).map(([name, module]) => pluginPackage(`host/node_modules/${name}`, name, module))),
      ...pluginPackage('host/node_modules/good', 'good', pluginSource('good', 'good-type')),
      'host/node_modules/pie-is-a-string/package.json': { name: 'pie-is-a-string', pie: 'yes' },
      'host/node_modules/package-is-null/package.json': 'null',
      'host/node_modules/dependencies-is-a-string/package.json': { name: 'dependencies-is-a-string', dependencies: 'abc' },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const report = await discoverPlugins({ hostDir: join(root, 'host'), container: hostContainer() });
      await new Promise((resolve) => setTimeout(resolve, 50)); // a rejection left unhandled would show by now
      expect(report.loaded.map((p) => p.package)).to.deep.equal(['good']);
      expect(Object.fromEntries(report.skipped.map((s) => [s.package, s.reason]))).to.deep.equal({
        'register-throws-null': 'register() failed: null was thrown',
        'register-throws-undefined': 'register() failed: undefined was thrown',
        'register-throws-proxy': 'register() failed: a value was thrown that cannot be described (reading it threw too)',
        'module-throws-null': 'plugin module failed to load: null was thrown',
        'module-throws-undefined': 'plugin module failed to load: undefined was thrown',
        'module-throws-string': 'plugin module failed to load: plain text',
        'proxy-export': 'the plugin could not be examined: proxy trap',
        'name-getter-throws': 'the plugin could not be examined: getter',
        'register-rejects': 'register() returned a promise; it must register its drivers synchronously',
        'pie-is-a-string': "package.json's pie field must be an object { apiVersion, plugin }, found string",
        'package-is-null': 'cannot read package.json: it is not a JSON object',
      });
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a package.json that is a device is refused unread', async () => {
    const root = tree({ 'host/package.json': { name: 'h', dependencies: { zero: '*' } }, 'host/node_modules/zero/README': 'x' });
    symlinkSync('/dev/zero', join(root, 'host/node_modules/zero/package.json'));
    const report = await discoverPlugins({ hostDir: join(root, 'host'), container: hostContainer() });
    expect(report.skipped).to.deep.equal([{ package: 'zero', reason: 'cannot read package.json: it is a character device (such as /dev/zero), not a file' }]);
  });
});

describe('plugin discovery: the manifest\'s API version at its boundary', () => {
  it('takes apiVersion 1 and skips a manifest without one, one below or one above, each saying which', async () => {
    const versions: [string, object][] = [['missing', { plugin: './plugin.mjs' }], ['zero', { apiVersion: 0, plugin: './plugin.mjs' }], ['one', { apiVersion: 1, plugin: './plugin.mjs' }], ['two', { apiVersion: 2, plugin: './plugin.mjs' }]];
    const root = tree({
      'host/package.json': { name: 'h', dependencies: Object.fromEntries(versions.map(([name]) => [name, '*'])) },
      ...Object.assign({}, ...versions.map(([name, manifest]) => pluginPackage(`host/node_modules/${name}`, name, pluginSource(name, `${name}-type`), manifest))),
    });
    const report = await discoverPlugins({ hostDir: join(root, 'host'), container: hostContainer() });
    expect(report.loaded.map((p) => p.package)).to.deep.equal(['one']);
    expect(Object.fromEntries(report.skipped.map((s) => [s.package, s.reason]))).to.deep.equal({
      missing: 'package.json\'s pie field has no apiVersion (this host supports 1): add "apiVersion": 1',
      zero: 'plugin API version 0 is not supported (this host supports 1)',
      two: 'plugin API version 2 is not supported (this host supports 1)',
    });
  });
});

describe('plugin discovery: paths and failures beside the usual ones', () => {
  it('loads an explicit ./path from the host folder, skips a null export, and calls only a name clash a conflict', async () => {
    const root = tree({
      'host/package.json': { name: 'h', dependencies: { 'null-export': '*', 'asks-unknown': '*' } },
      ...pluginPackage('host/local', 'local', pluginSource('local', 'local-type')),
      ...pluginPackage('host/node_modules/null-export', 'null-export', 'export default null;\n'),
      ...pluginPackage('host/node_modules/asks-unknown', 'asks-unknown', `export default { apiVersion: 1, name: 'asks-unknown', register(c) { c.resolve(Symbol.for('pie.DriverRegistry')).resolve('nope'); } };\n`),
    });
    const report = await discoverPlugins({ hostDir: join(root, 'host'), container: hostContainer(), explicit: ['./local'] });
    expect(report.loaded.map((p) => p.package)).to.deep.equal(['local']);
    expect(report.skipped).to.deep.equal([
      { package: 'null-export', reason: 'default export is not a plugin: expected { apiVersion, name, register(container) }' },
      { package: 'asks-unknown', reason: 'register() failed: no driver registered for type "nope"; known types and aliases: none' },
    ]);
    expect(report.conflicts).to.deep.equal([]);
  });
});

describe('the TensorRT-LLM descriptor', () => {
  it('declares what DESIGN §2 lists: start, the conformance settings and one code per refused feature', () => {
    const descriptor = tensorRtLlmDescriptor(globalContainer.createChildContainer());
    expect([descriptor.type, descriptor.aliases]).to.deep.equal(['tensorrt_llm', ['tensorrt-llm', 'trtllm']]);
    expect(descriptor.supports).to.deep.equal({
      start: true,
      conformance: { simulate: true, readyTimeoutMs: 30_000 },
      rejects: [
        { feature: 'adapter', code: 'UNSUPPORTED_ADAPTER' },
        { feature: 'probe', code: 'UNSUPPORTED_PROBE' },
        { feature: 'logit_mask', code: 'UNSUPPORTED_LOGIT_MASK' },
        { feature: 'attention_mask', code: 'UNSUPPORTED_ATTENTION_MASK' },
        { feature: 'speculation', code: 'UNSUPPORTED_SPECULATION' },
        { feature: 'multimodal', code: 'UNSUPPORTED_MULTIMODAL' },
      ],
    });
    // Its examples are valid tables: one device, several devices with options, a tensor-parallel pair of groups.
    expect(descriptor.examples.map((table) => descriptor.validate(table).ok)).to.deep.equal([true, true, true]);
    expect(descriptor.examples.slice(1)).to.deep.equal([
      { type: 'trtllm', device: ['cuda:0', 'cuda:1'], options: { lookahead_tokens: 8, max_seq_len: 2048 } },
      { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'], tensor_parallel_size: 2 },
    ]);
  });

  it('registers into a container whose registry lives in a parent, and names the plugin as owner', () => {
    const parent = globalContainer.createChildContainer();
    const registry = new ReferenceDriverRegistry();
    parent.register(DRIVER_REGISTRY, { useValue: registry });
    plugin.register(parent.createChildContainer());
    expect(registry.list()).to.deep.equal([{ type: 'tensorrt_llm', aliases: ['tensorrt-llm', 'trtllm'], owner: PLUGIN_NAME }]);
    const error = (() => {
      try {
        plugin.register(globalContainer.createChildContainer());
      } catch (caught) {
        return caught as PluginError;
      }
      return undefined;
    })();
    expect([error?.name, error?.code]).to.deep.equal(['PluginError', 'REGISTRY_MISSING']);
  });

  it('a refused registration leaves the names it did not clash on explained, and an empty registry says none', () => {
    const registry = new ReferenceDriverRegistry();
    const noType = (() => {
      try {
        registry.resolve('x');
      } catch (caught) {
        return (caught as Error).message;
      }
      return '';
    })();
    expect(noType).to.equal('no driver registered for type "x"; known types and aliases: none');
    const descriptor = tensorRtLlmDescriptor(globalContainer.createChildContainer());
    registry.register({ ...descriptor, type: 'other', aliases: ['trtllm'] }, 'first');
    expect(() => registry.register(descriptor, 'second')).to.throw(PluginError);
    // "trtllm" stays the first owner's; the two names only the refused plugin claimed are explained.
    expect(() => registry.resolve('tensorrt-llm')).to.throw(/second was refused: driver name "trtllm" is claimed by both first and second/);
    expect(registry.resolve('trtllm').type).to.equal('other');
  });
});
