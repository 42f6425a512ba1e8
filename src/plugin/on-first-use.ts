/**
 * A value computed the first time it is asked for, then kept. Registration uses it to leave the
 * validator and the runtime machinery unloaded until a table is validated or a driver created,
 * so discovering the plugin costs only what registering it needs.
 */
export function onFirstUse<T>(load: () => T): () => T {
  let value: { loaded: T } | undefined;
  return () => (value ??= { loaded: load() }).loaded;
}
