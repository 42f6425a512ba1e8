/** Errors of the plugin family: registering, resolving and loading driver plugins. */
export type PluginErrorCode = 'DUPLICATE_DRIVER' | 'UNKNOWN_DRIVER' | 'INCOMPATIBLE_PLUGIN' | 'PLUGIN_LOAD_FAILED' | 'REGISTRY_MISSING' | 'HOST_PACKAGE_UNREADABLE';

export class PluginError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PluginError';
  }
}
