import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$PIE_HOME`, or `~/.pie` as Pie defaults it. */
export function pieHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIE_HOME && env.PIE_HOME.length > 0 ? env.PIE_HOME : join(homedir(), '.pie');
}

export function driversFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(pieHome(env), 'drivers.toml');
}
