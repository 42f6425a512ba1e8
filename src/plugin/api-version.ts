/** The plugin API version this package implements and, as a host, accepts. */
export const PLUGIN_API_VERSION = 1;

/** The token under which a host registers its driver registry in its tsyringe container. */
export const DRIVER_REGISTRY = Symbol.for('pie.DriverRegistry');
