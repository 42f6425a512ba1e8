import { constants } from 'node:os';

/** Something a command must end before the process exits on a signal (a driver, whose runtimes
 *  run in their own process groups and would otherwise go on loading). */
export interface Disposable {
  dispose(): Promise<void>;
}

const owned = new Set<Disposable>();
let exitCode: number | undefined;
let stopping = false;
let installed = false;

async function onSignal(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  const code = exitCode ?? 128 + constants.signals[signal];
  if (stopping) process.exit(code); // a second signal: exit now (the exit hook kills the groups)
  stopping = true;
  await Promise.allSettled([...owned].map((item) => item.dispose()));
  process.exit(code);
}

/**
 * Ends `item` when SIGINT or SIGTERM arrives, at any moment from now on (a model still loading
 * included), then exits with 128 + the signal's number, or with the code `exitOnSignalWith` set.
 * Returns a function that stops tracking it.
 */
export function disposeOnSignal(item: Disposable): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', () => void onSignal('SIGINT'));
    process.on('SIGTERM', () => void onSignal('SIGTERM'));
  }
  owned.add(item);
  return () => owned.delete(item);
}

/** The exit code after a signal from now on: a server asked to stop while serving exits 0. */
export function exitOnSignalWith(code: number): void {
  exitCode = code;
}
