import 'reflect-metadata';
import { expect } from 'chai';
import { container as globalContainer } from 'tsyringe';
import { createHost } from '../../src/cli/local-host.js';
import { DRIVER_REGISTRY } from '../../src/plugin/api-version.js';
import { discoverPlugins } from '../../src/plugin/discovery.js';
import plugin from '../../src/plugin/plugin.js';
import { PluginError } from '../../src/plugin/plugin-errors.js';
import { ReferenceDriverRegistry } from '../../src/plugin/reference-registry.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { repoRoot } from '../helpers/package-paths.js';

describe('plugin discovery', () => {
  it('registers good plugins and reports every broken neighbour with its reason, never failing the host', async () => {
    const hostDir = fixtureHost(
      ['good-plugin', ['pie-driver-tensorrt-llm', repoRoot], 'missing-module', 'throwing-register', 'wrong-shape', 'api-99', 'not-a-plugin', 'alias-thief'],
      ['declared-but-absent'],
    );
    const { container, registry } = createHost([]);
    const report = await discoverPlugins({ hostDir, container });
    expect(report.loaded.map((p) => [p.package, p.drivers])).to.deep.equal([
      ['good-plugin', [{ type: 'toy', aliases: ['toy-alias'] }]],
      ['pie-driver-tensorrt-llm', [{ type: 'tensorrt_llm', aliases: ['tensorrt-llm', 'trtllm'] }]],
    ]);
    const skipped = Object.fromEntries(report.skipped.map((s) => [s.package, s.reason]));
    expect(skipped['missing-module']).to.match(/plugin module \.\/dist\/nowhere\.js not found/);
    expect(skipped['throwing-register']).to.match(/register\(\) failed: boom: cannot reach the GPU/);
    expect(skipped['wrong-shape']).to.match(/default export is not a plugin/);
    expect(skipped['api-99']).to.match(/plugin API version 99 is not supported \(this host supports 1\)/);
    expect(skipped['declared-but-absent']).to.match(/declared but not installed/);
    expect(skipped).not.to.have.property('not-a-plugin');
    expect(report.conflicts).to.deep.equal([
      { package: 'alias-thief', reason: 'register() failed: driver name "trtllm" is claimed by both pie-driver-tensorrt-llm and alias-thief; uninstall one of them' },
    ]);
    expect(registry.resolve('trtllm').type).to.equal('tensorrt_llm');
    expect(registry.resolve('toy-alias').type).to.equal('toy');
  });

  it('names the refused plugin and the conflict when the missing type was claimed twice', () => {
    const { registry } = createHost([]);
    const descriptor = (type: string, aliases: string[]) => ({ type, aliases, schema: {}, validate: () => ({ ok: true }), create: () => ({}), examples: [], supports: {} }) as never;
    registry.register(descriptor('other_llm', ['trtllm']), 'other-plugin');
    expect(() => registry.register(descriptor('tensorrt_llm', ['tensorrt-llm', 'trtllm']), 'pie-driver-tensorrt-llm')).to.throw(PluginError, /claimed by both other-plugin and pie-driver-tensorrt-llm/);
    expect(() => registry.resolve('tensorrt_llm')).to.throw(PluginError, /no driver registered for type "tensorrt_llm" \(pie-driver-tensorrt-llm was refused: driver name "trtllm" is claimed by both other-plugin and pie-driver-tensorrt-llm; uninstall one of them\)/);
  });

  it('names the known types and aliases when asked for an unknown one', () => {
    const { registry } = createHost();
    expect(() => registry.resolve('vllm')).to.throw(PluginError, 'no driver registered for type "vllm"; known types and aliases: "tensorrt-llm", "tensorrt_llm", "trtllm"');
  });
});

describe('the plugin module', () => {
  it('registers into the registry of the container it is given, and nothing into the global container', () => {
    const first = createHost().registry;
    const second = createHost().registry;
    expect(first.list()).to.deep.equal([{ type: 'tensorrt_llm', aliases: ['tensorrt-llm', 'trtllm'], owner: 'pie-driver-tensorrt-llm' }]);
    expect(second.list()).to.have.length(1);
    expect(globalContainer.isRegistered(DRIVER_REGISTRY)).to.equal(false);
  });

  it('reports a host container without a registry', () => {
    expect(() => plugin.register(globalContainer.createChildContainer())).to.throw(PluginError, /no driver registry/);
  });

  it('rejects a second registration of the same names', () => {
    const { container, registry } = createHost();
    expect(registry).to.be.instanceOf(ReferenceDriverRegistry);
    expect(() => plugin.register(container)).to.throw(PluginError, /claimed by both pie-driver-tensorrt-llm and pie-driver-tensorrt-llm/);
  });

  it('create validates its table and disposes its runtimes and container', async () => {
    const { registry } = createHost();
    const descriptor = registry.resolve('tensorrt-llm');
    expect(() => descriptor.create({ model: { name: 'm', hf_repo: 'r' }, table: { type: 'trtllm', device: [] } })).to.throw(/model\.driver\.device: expected a non-empty array/);
    const driver = descriptor.create({ model: { name: 'm', hf_repo: 'r' }, table: { type: 'trtllm', device: 'cuda:0' }, simulate: true, env: { PIE_TRTLLM_LOG_LEVEL: 'WARNING' } });
    await driver.start();
    const [status] = (await driver.status()) as { pid: number }[];
    await driver.dispose();
    expect(() => process.kill(status!.pid, 0)).to.throw();
  });
});
