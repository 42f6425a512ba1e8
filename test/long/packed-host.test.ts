import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { greedyContinuation } from '../helpers/driver-fixture.js';

const run = promisify(execFile);

/** A host as docs/hosts.md describes one: its own registry, the plugin registered into a child container. */
const CJS_HOST = `require('reflect-metadata');
const { container } = require('tsyringe');
const { plugin, ReferenceDriverRegistry, DRIVER_REGISTRY } = require('pie-driver-tensorrt-llm');

async function main() {
  const child = container.createChildContainer();
  const registry = new ReferenceDriverRegistry();
  child.register(DRIVER_REGISTRY, { useValue: registry });
  plugin.register(child);
  const driver = registry.resolve('trtllm').create({ model: { name: 'm', hf_repo: 'sim/m' }, table: { type: 'trtllm', device: 'cuda:0' }, simulate: true });
  try {
    await driver.start();
    const results = await driver.forward({ token_ids: [1, 2], position_ids: [0, 1], qo_indptr: [0, 2], context_ids: [1], samplers: [{ type: 'top_p', temperature: 0, p: 1 }], sampler_indptr: [0, 1] });
    console.log(JSON.stringify(results));
  } finally {
    await driver.dispose();
  }
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

/** A plugin package written from docs/plugin-authors.md's list of what the kit requires. */
const DOCS_PLUGIN = `const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { const: 'docs_driver', description: 'Driver type.' } },
};
const descriptor = {
  type: 'docs_driver',
  aliases: [],
  schema,
  validate(table) {
    const ok = table !== null && typeof table === 'object' && !Array.isArray(table) && table.type === 'docs_driver' && Object.keys(table).length === 1;
    return ok ? { ok: true, config: table, problems: [] } : { ok: false, problems: [{ path: 'model.driver', message: 'expected { type = "docs_driver" }' }] };
  },
  create() { throw new Error('not on this machine'); },
  examples: [{ type: 'docs_driver' }],
  supports: { start: false },
};
export default {
  apiVersion: 1,
  name: 'plugin-from-docs',
  register(container) { container.resolve(Symbol.for('pie.DriverRegistry')).register(descriptor, 'plugin-from-docs'); },
};
`;

/** A plugin written from the published contract that supports adapters and masks (unlike ours). */
const OTHER_PLUGIN = `import type { DriverCapabilities, DriverDescriptor, DriverInstance, PiePluginModule } from 'pie-driver-tensorrt-llm';
import { DRIVER_REGISTRY } from 'pie-driver-tensorrt-llm';
import type { DriverRegistry } from 'pie-driver-tensorrt-llm';

const capabilities: DriverCapabilities = {
  total_pages: 1, kv_page_size: 16, swap_pool_size: 0, max_forward_tokens: 64, max_forward_requests: 8, max_page_refs: 1,
  max_logit_rows: 8, max_prob_rows: 8, max_custom_mask_bytes: 1024, max_sampler_rows: 8, max_logprob_labels: 4,
  arch_name: 'Other', vocab_size: 100, max_model_len: 64, activation_dtype: 'bfloat16',
  supports_user_attention_mask: true, supports_adapters: true,
};
const instance: DriverInstance = {
  start: async () => capabilities, capabilities: () => capabilities, forward: async (batch) => batch.context_ids.map(() => ({ tokens: [] })),
  release: async () => undefined, fork: async () => undefined, status: async () => [], dispose: async () => undefined,
};
const descriptor: DriverDescriptor = {
  type: 'other', aliases: [], schema: { type: 'object' }, validate: (table) => ({ ok: true, config: table, problems: [] }),
  create: () => instance, examples: [{ type: 'other' }], supports: { start: true },
};
const otherPlugin: PiePluginModule = { apiVersion: 1, name: 'other', register: (container) => container.resolve<DriverRegistry>(DRIVER_REGISTRY).register(descriptor, 'other') };
export default otherPlugin;
`;

describe('a fresh host project that installs the packed package', function () {
  this.timeout(300_000);
  let host: string;

  before(async () => {
    host = mkdtempSync(join(tmpdir(), 'pie-packed-host-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', host], { cwd: repoRoot });
    const tarball = join(host, stdout.trim().split('\n').pop()!);
    writeFileSync(join(host, 'package.json'), JSON.stringify({
      name: 'fresh-host', version: '1.0.0', private: true, type: 'module',
      // TypeScript 7 (the newest major) beside it: hosts compile with what their authors use now.
      dependencies: { 'pie-driver-tensorrt-llm': `file:${tarball}`, tsyringe: '^4.10.0', 'reflect-metadata': '^0.2.2', '@types/node': '20.19', typescript: '^7.0.2' },
    }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: host });
    // Broken neighbours beside it, declared like any dependency.
    const pkg = JSON.parse(readFileSync(join(host, 'package.json'), 'utf8'));
    for (const name of ['throwing-register', 'api-99', 'wrong-shape']) {
      symlinkSync(join(fixtures, 'plugins', name), join(host, 'node_modules', name), 'dir');
      pkg.dependencies[name] = '*';
    }
    writeFileSync(join(host, 'package.json'), JSON.stringify(pkg));
  });

  after(() => rmSync(host, { recursive: true, force: true }));

  it('sees tensorrt_llm, tensorrt-llm and trtllm through `list --json`, with broken neighbours skipped', async () => {
    const cli = join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'dist', 'src', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'list', '--json'], { cwd: host });
    const report = JSON.parse(stdout);
    expect(report.loaded).to.have.length(1);
    expect(report.loaded[0].drivers).to.deep.equal([{ type: 'tensorrt_llm', aliases: ['tensorrt-llm', 'trtllm'] }]);
    expect(report.skipped.map((s: { package: string }) => s.package).sort()).to.deep.equal(['api-99', 'throwing-register', 'wrong-shape']);
    expect(report.conflicts).to.deep.equal([]);
  });

  it('ships the schemas, the Python runtime and the example, and no tests', () => {
    const root = join(host, 'node_modules', 'pie-driver-tensorrt-llm');
    for (const file of ['schema/driver.schema.json', 'schema/pie.schema.json', 'python/pie_trtllm_runtime/__main__.py', 'examples/pie.toml', 'dist/src/plugin/plugin.js']) {
      expect(() => readFileSync(join(root, file)), file).not.to.throw();
    }
    expect(() => readFileSync(join(root, 'dist', 'test', 'helpers', 'run-cli.js'))).to.throw();
    // Every source map's sources are shipped, so a stack trace can be mapped back.
    const maps = readdirSync(join(root, 'dist', 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).to.be.above(50);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(root, 'dist', 'src', map), 'utf8')) as { sources: string[] };
      for (const source of sources) expect(() => readFileSync(join(root, 'dist', 'src', map, '..', source)), `${map} → ${source}`).not.to.throw();
    }
    // The tarball ships its build: npm runs `prepare` (tsc) for an install from git, never for a tarball's.
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts?.prepare).to.equal('tsc -p tsconfig.json');
    expect(() => readFileSync(join(root, 'tsconfig.json'))).to.throw(); // not shipped: nothing there could build
  });

  it('generates tokens with the installed CLI, discovering the plugin from the host package', async () => {
    const root = join(host, 'node_modules', 'pie-driver-tensorrt-llm');
    const { stdout, stderr } = await run(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'generate', '--config', join(root, 'examples', 'pie.toml'), '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '4', '--json'], { cwd: host });
    const result = JSON.parse(stdout);
    expect(result.tokens, stderr).to.have.length(4);
    expect(result).to.include({ simulated: true, engine_calls: 1 });
  });

  it('serves a forward to a plain CommonJS host that require()s the package', async () => {
    writeFileSync(join(host, 'host.cjs'), CJS_HOST);
    const { stdout } = await run(process.execPath, [join(host, 'host.cjs')], { cwd: host });
    expect(JSON.parse(stdout)).to.deep.equal([{ tokens: greedyContinuation([1, 2], 1) }]);
  });

  it('compiles a TypeScript host (to CommonJS) and a plugin with other capabilities against the published types, skipLibCheck off', async () => {
    writeFileSync(join(host, 'host.cts'), CJS_HOST.replace("require('reflect-metadata');", "import 'reflect-metadata';").replace("const { container } = require('tsyringe');", "import { container } from 'tsyringe';").replace("const { plugin, ReferenceDriverRegistry, DRIVER_REGISTRY } = require('pie-driver-tensorrt-llm');", "import { plugin, ReferenceDriverRegistry, DRIVER_REGISTRY } from 'pie-driver-tensorrt-llm';"));
    writeFileSync(join(host, 'other-plugin.mts'), OTHER_PLUGIN);
    writeFileSync(join(host, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'] },
      files: ['host.cts', 'other-plugin.mts'],
    }));
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: host }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect('failed' in compiled ? compiled.stdout : '', 'tsc').to.equal('');
    const { stdout } = await run(process.execPath, [join(host, 'out', 'host.cjs')], { cwd: host });
    expect(JSON.parse(stdout)).to.deep.equal([{ tokens: greedyContinuation([1, 2], 1) }]);
  });

  it('compiles a host whose tsconfig names no types (the TypeScript 6+ default), and a classic CommonJS host (node10 resolution) that imports the subpaths', async () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const compile = (config: string) => run(process.execPath, [tsc, '-p', config], { cwd: host }).then(() => '', (e: { stdout: string }) => e.stdout || 'failed');
    writeFileSync(join(host, 'no-types.mts'), "import { plugin, ReferenceDriverRegistry } from 'pie-driver-tensorrt-llm';\nimport { discoverPlugins } from 'pie-driver-tensorrt-llm/discovery';\nexport const used = [plugin, ReferenceDriverRegistry, discoverPlugins];\n");
    writeFileSync(join(host, 'tsconfig.no-types.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: [] },
      files: ['no-types.mts'],
    }));
    expect(await compile('tsconfig.no-types.json'), 'types: []').to.equal('');
    // A host that installs what the README says (the tarball, tsyringe, reflect-metadata) has no
    // @types/node, an optional peer npm never installs: the published types must not need it.
    const nodeTypes = join(host, 'node_modules', '@types', 'node');
    renameSync(nodeTypes, `${nodeTypes}.hidden`);
    try {
      writeFileSync(join(host, 'readme-line.mts'), "import { plugin, ReferenceDriverRegistry, type DriverReplicaStatus, type ReplicaStatus } from 'pie-driver-tensorrt-llm';\nimport { discoverPlugins } from 'pie-driver-tensorrt-llm/discovery';\nimport { defineDriverConformance } from 'pie-driver-tensorrt-llm/conformance';\nimport pluginModule from 'pie-driver-tensorrt-llm/plugin';\nexport const used = [plugin, ReferenceDriverRegistry, discoverPlugins, defineDriverConformance, pluginModule];\nexport const replica = (s: ReplicaStatus): DriverReplicaStatus => s;\n");
      writeFileSync(join(host, 'tsconfig.readme-line.json'), JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: [] },
        files: ['readme-line.mts'],
      }));
      expect(await compile('tsconfig.readme-line.json'), 'no @types/node installed').to.equal('');
    } finally {
      renameSync(`${nodeTypes}.hidden`, nodeTypes);
    }
    writeFileSync(join(host, 'classic.ts'), "import { plugin } from 'pie-driver-tensorrt-llm';\nimport { discoverPlugins } from 'pie-driver-tensorrt-llm/discovery';\nimport { defineDriverConformance } from 'pie-driver-tensorrt-llm/conformance';\nexport const used = [plugin, discoverPlugins, defineDriverConformance];\n");
    writeFileSync(join(host, 'tsconfig.classic.json'), JSON.stringify({
      compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, esModuleInterop: true, ignoreDeprecations: '5.0' },
      files: ['classic.ts'],
    }));
    expect(await compile('tsconfig.classic.json'), 'module commonjs, node10 resolution').to.equal('');
  });

  it('compiles ESM and CommonJS hosts with the newest TypeScript (7), skipLibCheck off, with and without listed types', async () => {
    const tsc7 = join(host, 'node_modules', '.bin', 'tsc');
    expect((await run(tsc7, ['--version'], { cwd: host })).stdout).to.match(/^Version 7\./);
    writeFileSync(join(host, 'ts7-host.cts'), "import 'reflect-metadata';\nimport { container } from 'tsyringe';\nimport { plugin, ReferenceDriverRegistry, DRIVER_REGISTRY } from 'pie-driver-tensorrt-llm';\nconst child = container.createChildContainer();\nconst registry = new ReferenceDriverRegistry();\nchild.register(DRIVER_REGISTRY, { useValue: registry });\nplugin.register(child);\nconsole.log(JSON.stringify(registry.list().map((d) => d.type)));\n");
    writeFileSync(join(host, 'ts7-host.mts'), "import { discoverPlugins } from 'pie-driver-tensorrt-llm/discovery';\nimport { defineDriverConformance } from 'pie-driver-tensorrt-llm/conformance';\nexport const used = [discoverPlugins, defineDriverConformance];\n");
    for (const types of [undefined, ['node']]) {
      writeFileSync(join(host, 'tsconfig.ts7.json'), JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out7', ...(types ? { types } : {}) },
        files: ['ts7-host.cts', 'ts7-host.mts'],
      }));
      const compiled = await run(tsc7, ['-p', 'tsconfig.ts7.json'], { cwd: host }).then(() => '', (e: { stdout: string }) => e.stdout || 'failed');
      expect(compiled, `TypeScript 7, types ${JSON.stringify(types ?? 'not listed')}`).to.equal('');
    }
    const { stdout } = await run(process.execPath, [join(host, 'out7', 'ts7-host.cjs')], { cwd: host });
    expect(JSON.parse(stdout)).to.deep.equal(['tensorrt_llm']);
  });

  it('runs the conformance kit with only the tarball installed on a plugin written from the docs, passing and failing with named reasons', async () => {
    const pluginDir = join(host, 'plugin-from-docs');
    mkdirSync(pluginDir);
    writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ name: 'plugin-from-docs', version: '1.0.0', type: 'module', keywords: ['pie-plugin', 'pie-driver'], pie: { apiVersion: 1, plugin: './plugin.mjs' } }));
    writeFileSync(join(pluginDir, 'plugin.mjs'), DOCS_PLUGIN);
    const bin = join(host, 'node_modules', '.bin', 'pie-trtllm');
    const passing = await run(bin, ['conformance', pluginDir], { cwd: host });
    expect(passing.stdout.trim().split('\n').at(-1)).to.equal('✓ conforms: 8 of 12 checks passed, 4 skipped');
    writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ name: 'plugin-from-docs', version: '1.0.0', type: 'module', keywords: ['pie-plugin'], pie: { apiVersion: 1, plugin: './plugin.mjs' } }));
    const failing = await run(bin, ['conformance', pluginDir], { cwd: host }).then(() => undefined, (e: { code: number; stdout: string }) => e);
    expect(failing?.code).to.equal(1);
    expect(failing?.stdout).to.contain('✗ package.json has the keywords pie-plugin and pie-driver: expected the keywords pie-plugin and pie-driver, found keywords ["pie-plugin"]; fix: add "pie-driver" to "keywords" in package.json');
  });

  it('compiles every README and docs code block marked ts compile or ts run, and runs the ts run ones as written', async () => {
    const readme = ['README.md', ...readdirSync(join(repoRoot, 'docs')).map((f) => join('docs', f))].map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n');
    const blocks = [...readme.matchAll(/^```ts (run|compile)\n([\s\S]*?)^```$/gm)].map((m, i) => ({ mode: m[1]!, file: `readme-${i}.mts`, code: m[2]! }));
    expect(blocks.map((b) => b.mode)).to.include.members(['run', 'compile']);
    for (const block of blocks) writeFileSync(join(host, block.file), block.code);
    writeFileSync(join(host, 'pie.toml'), readFileSync(join(repoRoot, 'examples', 'pie.toml'), 'utf8'));
    writeFileSync(join(host, 'tsconfig.readme.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'readme-out', types: ['node', 'mocha'] },
      files: blocks.map((b) => b.file),
    }));
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.readme.json', '--typeRoots', join(repoRoot, 'node_modules', '@types')], { cwd: host }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect('failed' in compiled ? compiled.stdout : '', 'documented code does not compile').to.equal('');
    for (const block of blocks.filter((b) => b.mode === 'run')) {
      const { stdout } = await run(process.execPath, [join(host, 'readme-out', block.file.replace('.mts', '.mjs'))], { cwd: host });
      expect(stdout, block.file).to.contain(`32000 ${JSON.stringify([{ tokens: greedyContinuation([1, 2, 3], 1) }])}`);
    }
  });

  it('validates the shipped example with the installed CLI', async () => {
    const cli = join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'dist', 'src', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'validate', join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'examples', 'pie.toml')], { cwd: host });
    expect(stdout).to.contain('valid');
  });
});
