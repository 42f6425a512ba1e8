import { CliError } from './cli-error.js';

/** `1,2,3` → [1, 2, 3]; a clear error for anything else. */
export function tokenList(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const tokens = parts.map(Number);
  const bad = parts.find((p, i) => p === '' || !Number.isSafeInteger(tokens[i]) || tokens[i]! < 0);
  if (bad !== undefined || parts.length === 0) {
    throw new CliError(`--prompt-tokens must be comma-separated non-negative integers (e.g. 1,2,3), found ${JSON.stringify(bad ?? text)}`, 2);
  }
  return tokens;
}

export function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new CliError(`${flag} must be a positive integer, found ${JSON.stringify(text)}`, 2);
  return value;
}

export function nonNegativeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || text.trim() === '') throw new CliError(`${flag} must be a number ≥ 0, found ${JSON.stringify(text)}`, 2);
  return value;
}

export function nonNegativeInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new CliError(`${flag} must be a non-negative integer, found ${JSON.stringify(text)}`, 2);
  return value;
}

/** A TCP port to listen on: 1 to 65535. */
export function tcpPort(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > 65535 || text.trim() === '') throw new CliError(`${flag} must be a TCP port from 1 to 65535, found ${JSON.stringify(text)}`, 2);
  return value;
}
