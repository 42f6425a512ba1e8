import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { container } from 'tsyringe';
import { DRIVER_REGISTRY } from '../src/plugin/api-version.js';
import { discoverPlugins } from '../src/plugin/discovery.js';
import { ReferenceDriverRegistry } from '../src/plugin/reference-registry.js';

// Run in a fresh process by the benchmark: the plugin module is imported cold, as at host start-up.
const hostDir = process.argv[2]!;
const host = container.createChildContainer();
const registry = new ReferenceDriverRegistry();
host.register(DRIVER_REGISTRY, { useValue: registry });
const started = performance.now();
const report = await discoverPlugins({ hostDir, container: host });
const elapsed = performance.now() - started;
registry.resolve('trtllm');
process.stdout.write(`${JSON.stringify({ ms: elapsed, loaded: report.loaded.length })}\n`);
