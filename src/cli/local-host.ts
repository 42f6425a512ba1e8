import 'reflect-metadata';
import type { MeterProvider } from '@opentelemetry/api';
import { container as globalContainer, type DependencyContainer } from 'tsyringe';
import { METER_PROVIDER } from '../metrics/meter-provider.js';
import { DRIVER_REGISTRY } from '../plugin/api-version.js';
import type { DriverRegistry, PiePluginModule } from '../plugin/driver-contract.js';
import type { DriverHandle } from '../plugin/driver-handle.js';
import plugin from '../plugin/plugin.js';
import { ReferenceDriverRegistry } from '../plugin/reference-registry.js';
import type { SelectedModel } from './model-selection.js';

export interface HostOptions {
  simulate: boolean;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Plugins to register; defaults to this package's own. */
  plugins?: PiePluginModule[];
  registry?: DriverRegistry;
  container?: DependencyContainer;
  /** Bound under METER_PROVIDER in the host container, as a host that exports metrics does. */
  meterProvider?: MeterProvider;
}

/** Creates a host container with a registry, the way a Pie host does. Nothing goes into the global container. */
export function createHost(plugins: PiePluginModule[] = [plugin], meterProvider?: MeterProvider): { container: DependencyContainer; registry: DriverRegistry } {
  const container = globalContainer.createChildContainer();
  const registry = new ReferenceDriverRegistry();
  container.register(DRIVER_REGISTRY, { useValue: registry });
  if (meterProvider) container.register(METER_PROVIDER, { useValue: meterProvider });
  for (const p of plugins) p.register(container);
  return { container, registry };
}

/** The driver instance for a selected model, created through the registry as a host would. */
export function createModelDriver(model: Pick<SelectedModel, 'name' | 'hf_repo' | 'table'>, options: HostOptions): DriverHandle {
  const registry = options.registry ?? createHost(options.plugins, options.meterProvider).registry;
  const descriptor = registry.resolve(String(model.table.type));
  return descriptor.create({
    model: { name: model.name, hf_repo: model.hf_repo },
    table: model.table,
    simulate: options.simulate,
    readyTimeoutMs: options.readyTimeoutMs,
    env: options.env,
  }) as DriverHandle;
}
