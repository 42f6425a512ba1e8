import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';
import { DRIVER_REGISTRY, PLUGIN_API_VERSION } from './api-version.js';
import type { DriverRegistry, PiePluginModule } from './driver-contract.js';
import { readRegularFile } from '../config/bounded-file.js';
import { PluginError } from './plugin-errors.js';
import { describeThrown } from './thrown-value.js';

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

/** The most bytes a package.json may hold here: a plugin's is a few kilobytes. */
const MAX_PACKAGE_JSON_BYTES = 4 * 1024 * 1024;

/** A record of strings to anything, or an empty one for any other value (a package.json field may be anything). */
function objectField(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readPackage(dir: string): PackageJson {
  const parsed = JSON.parse(readRegularFile(join(dir, 'package.json'), MAX_PACKAGE_JSON_BYTES).toString('utf8')) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it is not a JSON object');
  return parsed as PackageJson;
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

/** The fields of a plugin module's default export, read once each (a getter or a Proxy may answer
 *  differently, or throw, on every read), or undefined when it does not have the plugin's shape. */
function pluginFields(value: unknown): { apiVersion: number; name: string; register: PiePluginModule['register'] } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const apiVersion = v.apiVersion;
  const name = v.name;
  const register = v.register;
  if (typeof name !== 'string' || typeof register !== 'function' || typeof apiVersion !== 'number') return undefined;
  return { apiVersion, name, register: register.bind(value) as PiePluginModule['register'] };
}

/** Whether a thrown value is the registry's name clash (asking may throw: a Proxy's traps). */
function isDuplicateDriver(error: unknown): boolean {
  try {
    return error instanceof PluginError && error.code === 'DUPLICATE_DRIVER';
  } catch {
    return false;
  }
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
  if (host.pie) candidates.push({ label: typeof host.name === 'string' ? host.name : options.hostDir, dir: options.hostDir });
  const declared = objectField(host.dependencies);
  for (const name of Object.keys({ ...declared, ...objectField(host.optionalDependencies) })) {
    candidates.push({ label: name, dir: packageDir(name, options.hostDir) });
  }
  for (const entry of options.explicit ?? []) {
    const isPath = entry.startsWith('.') || entry.startsWith('/');
    candidates.push({ label: entry, dir: isPath ? resolve(options.hostDir, entry) : packageDir(entry, options.hostDir) });
  }
  const seen = new Set<string>();
  for (const { label, dir } of candidates) {
    if (dir === undefined) {
      if (Object.hasOwn(declared, label) || (options.explicit ?? []).includes(label)) {
        report.skipped.push({ package: label, reason: 'declared but not installed (run npm install)' });
      }
      continue;
    }
    if (seen.has(resolve(dir))) continue;
    seen.add(resolve(dir));
    try {
      await loadCandidate(label, dir, registry, options.container, report);
    } catch (error) {
      // Whatever a plugin does (a Proxy export, a getter that throws), it is skipped, never fatal.
      report.skipped.push({ package: label, reason: `the plugin could not be examined: ${describeThrown(error)}` });
    }
  }
  return report;
}

async function loadCandidate(label: string, dir: string, registry: DriverRegistry, container: DependencyContainer, report: DiscoveryReport): Promise<void> {
  let pkg: PackageJson;
  try {
    pkg = readPackage(dir);
  } catch (error) {
    report.skipped.push({ package: label, reason: `cannot read package.json: ${describeThrown(error)}` });
    return;
  }
  const manifest = pkg.pie;
  if (!manifest) return; // not a Pie plugin
  const name = typeof pkg.name === 'string' ? pkg.name : label;
  if (typeof manifest !== 'object') {
    report.skipped.push({ package: name, reason: `package.json's pie field must be an object { apiVersion, plugin }, found ${typeof manifest}` });
    return;
  }
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
    const notFound = error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    report.skipped.push({ package: name, reason: notFound ? `plugin module ${manifest.plugin} not found (is the package built?)` : `plugin module failed to load: ${describeThrown(error)}` });
    return;
  }
  const plugin = pluginFields(module.default);
  if (!plugin) {
    report.skipped.push({ package: name, reason: 'default export is not a plugin: expected { apiVersion, name, register(container) }' });
    return;
  }
  if (plugin.apiVersion !== PLUGIN_API_VERSION) {
    report.skipped.push({ package: name, reason: `plugin module declares API version ${plugin.apiVersion} (this host supports ${PLUGIN_API_VERSION})` });
    return;
  }
  const before = new Set(registry.list().map((d) => d.type));
  try {
    const returned = plugin.register(container) as unknown;
    if (returned !== null && typeof returned === 'object' && typeof (returned as { then?: unknown }).then === 'function') {
      // register must work synchronously; a promise it returns is not waited for, and its
      // rejection must not become the host's unhandled rejection.
      Promise.resolve(returned).catch(() => undefined);
      report.skipped.push({ package: name, reason: 'register() returned a promise; it must register its drivers synchronously' });
      return;
    }
  } catch (error) {
    const entry = { package: name, reason: `register() failed: ${describeThrown(error)}` };
    if (isDuplicateDriver(error)) report.conflicts.push(entry);
    else report.skipped.push(entry);
    return;
  }
  const drivers = registry.list().filter((d) => !before.has(d.type)).map(({ type, aliases }) => ({ type, aliases }));
  report.loaded.push({ package: name, version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', name: plugin.name, drivers });
}
