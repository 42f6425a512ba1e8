import type { DriverDescriptor, DriverRegistry } from './driver-contract.js';
import { PluginError } from './plugin-errors.js';

/** A driver registry for hosts and tests: types and aliases share one namespace. */
export class ReferenceDriverRegistry implements DriverRegistry {
  private readonly names = new Map<string, { descriptor: DriverDescriptor; owner: string }>();
  private readonly entries: { descriptor: DriverDescriptor; owner: string }[] = [];
  /** Names a registration would have brought and was refused for, with why: the missing type is explained. */
  private readonly refused = new Map<string, string>();

  register(descriptor: DriverDescriptor, owner: string): void {
    const names = [descriptor.type, ...descriptor.aliases];
    for (const name of names) {
      const existing = this.names.get(name);
      if (existing) {
        const why = `driver name "${name}" is claimed by both ${existing.owner} and ${owner}; uninstall one of them`;
        for (const refusedName of names) if (!this.names.has(refusedName)) this.refused.set(refusedName, `${owner} was refused: ${why}`);
        throw new PluginError('DUPLICATE_DRIVER', why);
      }
    }
    const entry = { descriptor, owner };
    for (const name of names) this.names.set(name, entry);
    this.entries.push(entry);
  }

  resolve(typeOrAlias: string): DriverDescriptor {
    const entry = this.names.get(typeOrAlias);
    if (!entry) {
      const known = [...this.names.keys()].sort().map((n) => `"${n}"`).join(', ') || 'none';
      const refused = this.refused.get(typeOrAlias);
      throw new PluginError('UNKNOWN_DRIVER', `no driver registered for type "${typeOrAlias}"${refused ? ` (${refused})` : ''}; known types and aliases: ${known}`);
    }
    return entry.descriptor;
  }

  list(): { type: string; aliases: readonly string[]; owner: string }[] {
    return this.entries.map(({ descriptor, owner }) => ({ type: descriptor.type, aliases: descriptor.aliases, owner }));
  }
}
