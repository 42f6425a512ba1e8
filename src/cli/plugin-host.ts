import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { DriverRegistry } from '../plugin/driver-contract.js';
import { type DiscoveryReport, discoverPlugins } from '../plugin/discovery.js';
import { packageRoot } from '../config/schema-files.js';
import { createHost } from './local-host.js';

/**
 * A host as Pie would run one from `dir`: the driver plugins declared by the package there (or by
 * this package when `dir` is not a package), discovered and registered.
 */
export async function discoveredHost(dir = process.cwd()): Promise<{ container: DependencyContainer; registry: DriverRegistry; report: DiscoveryReport }> {
  const { container, registry } = createHost([]);
  const isPackage = existsSync(join(dir, 'package.json'));
  const report = await discoverPlugins({
    hostDir: isPackage ? dir : packageRoot,
    container,
    explicit: isPackage && realpathSync(dir) !== realpathSync(packageRoot) ? [packageRoot] : [],
  });
  return { container, registry, report };
}
