import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';
import { DRIVER_REGISTRY, PLUGIN_API_VERSION } from './api-version.js';
import type { DriverRegistry, PiePluginModule } from './driver-contract.js';
import { PluginError } from './plugin-errors.js';

export interface DiscoveredPlugin {
  package: string;
  version: string;
  name: string;
  /** Driver types and aliases this plugin registered. */
  drivers: { type: string; aliases: readonly string[] }[];
}

export interface SkippedPlugin {
  package: string;
  reason: string;
}

export interface DiscoveryReport {
  loaded: DiscoveredPlugin[];
  /** Broken or incompatible plugins: reported and skipped, never fatal. */
  skipped: SkippedPlugin[];
  /** Plugins that claimed a type or alias another plugin owns (both named in the reason). */
  conflicts: SkippedPlugin[];
}

export interface DiscoveryOptions {
  /** The host package's folder (its package.json names the candidates). */
  hostDir: string;
  /** The host's container; it must hold a registry under Symbol.for("pie.DriverRegistry"). */
  container: DependencyContainer;
  /** More packages to consider, by name (resolved from hostDir) or by folder path. */
  explicit?: string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  pie?: { apiVersion?: unknown; plugin?: unknown };
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The folder of an installed package, found the way Node looks for it: node_modules upwards. */
function packageDir(name: string, from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isPluginModule(value: unknown): value is PiePluginModule {
  const v = value as PiePluginModule | undefined;
  return v !== null && typeof v === 'object' && typeof v.name === 'string' && typeof v.register === 'function' && typeof v.apiVersion === 'number';
}

/**
 * Finds driver plugins among the host's declared dependencies (and an explicit list): packages
 * whose package.json has a `pie` field. Each is checked (API version, module, shape) and registered;
 * a broken one is reported with its reason and skipped.
 */
export async function discoverPlugins(options: DiscoveryOptions): Promise<DiscoveryReport> {
  const report: DiscoveryReport = { loaded: [], skipped: [], conflicts: [] };
  if (!options.container.isRegistered(DRIVER_REGISTRY, true)) {
    throw new PluginError('REGISTRY_MISSING', 'the host container has no driver registry under Symbol.for("pie.DriverRegistry")');
  }
  const registry = options.container.resolve<DriverRegistry>(DRIVER_REGISTRY);
  let host: PackageJson;
  try {
    host = readPackage(options.hostDir);
  } catch (error) {
    const file = join(options.hostDir, 'package.json');
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read as JSON (${(error as Error).message})`;
    throw new PluginError('HOST_PACKAGE_UNREADABLE', `${file} ${why}; run this in the host package's folder (the one whose package.json lists the driver plugins), or give that folder (\`pie-trtllm list --dir DIR\`)`);
  }
  const candidates: { label: string; dir: string | undefined }[] = [];
  if (host.pie) candidates.push({ label: host.name ?? options.hostDir, dir: options.hostDir });
  for (const name of Object.keys({ ...host.dependencies, ...host.optionalDependencies })) {
    candidates.push({ label: name, dir: packageDir(name, options.hostDir) });
  }
  for (const entry of options.explicit ?? []) {
    const isPath = entry.startsWith('.') || entry.startsWith('/');
    candidates.push({ label: entry, dir: isPath ? resolve(options.hostDir, entry) : packageDir(entry, options.hostDir) });
  }
  const seen = new Set<string>();
  for (const { label, dir } of candidates) {
    if (dir === undefined) {
      if (host.dependencies?.[label] !== undefined || (options.explicit ?? []).includes(label)) {
        report.skipped.push({ package: label, reason: 'declared but not installed (run npm install)' });
      }
      continue;
    }
    if (seen.has(resolve(dir))) continue;
    seen.add(resolve(dir));
    await loadCandidate(label, dir, registry, options.container, report);
  }
  return report;
}

async function loadCandidate(label: string, dir: string, registry: DriverRegistry, container: DependencyContainer, report: DiscoveryReport): Promise<void> {
  let pkg: PackageJson;
  try {
    pkg = readPackage(dir);
  } catch (error) {
    report.skipped.push({ package: label, reason: `cannot read package.json: ${(error as Error).message}` });
    return;
  }
  const manifest = pkg.pie;
  if (!manifest) return; // not a Pie plugin
  const name = pkg.name ?? label;
  if (manifest.apiVersion !== PLUGIN_API_VERSION) {
    const reason = manifest.apiVersion === undefined
      ? `package.json's pie field has no apiVersion (this host supports ${PLUGIN_API_VERSION}): add "apiVersion": ${PLUGIN_API_VERSION}`
      : `plugin API version ${JSON.stringify(manifest.apiVersion)} is not supported (this host supports ${PLUGIN_API_VERSION})`;
    report.skipped.push({ package: name, reason });
    return;
  }
  if (typeof manifest.plugin !== 'string') {
    report.skipped.push({ package: name, reason: '`pie.plugin` must name the plugin module (a path inside the package)' });
    return;
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(join(dir, manifest.plugin)).href)) as { default?: unknown };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    report.skipped.push({ package: name, reason: e.code === 'ERR_MODULE_NOT_FOUND' ? `plugin module ${manifest.plugin} not found (is the package built?)` : `plugin module failed to load: ${e.message.split('\n')[0]}` });
    return;
  }
  const plugin = module.default;
  if (!isPluginModule(plugin)) {
    report.skipped.push({ package: name, reason: 'default export is not a plugin: expected { apiVersion, name, register(container) }' });
    return;
  }
  if (plugin.apiVersion !== PLUGIN_API_VERSION) {
    report.skipped.push({ package: name, reason: `plugin module declares API version ${plugin.apiVersion} (this host supports ${PLUGIN_API_VERSION})` });
    return;
  }
  const before = new Set(registry.list().map((d) => d.type));
  try {
    plugin.register(container);
  } catch (error) {
    const entry = { package: name, reason: `register() failed: ${(error as Error).message}` };
    if (error instanceof PluginError && error.code === 'DUPLICATE_DRIVER') report.conflicts.push(entry);
    else report.skipped.push(entry);
    return;
  }
  const drivers = registry.list().filter((d) => !before.has(d.type)).map(({ type, aliases }) => ({ type, aliases }));
  report.loaded.push({ package: name, version: pkg.version ?? '0.0.0', name: plugin.name, drivers });
}
