import type { Readable } from 'node:stream';

/**
 * How long an exited child's pipes may take to deliver their last bytes. A grandchild that
 * still holds them would keep them open for ever, so the wait is capped.
 */
export const EXIT_DRAIN_MS = 500;

/** Resolves when every stream has ended or closed, or after `capMs`, whichever comes first. */
export function streamsEnded(streams: readonly (Readable | null | undefined)[], capMs = EXIT_DRAIN_MS): Promise<void> {
  const ended = streams
    .filter((stream): stream is Readable => stream != null)
    .map((stream) => (stream.readableEnded || stream.destroyed ? Promise.resolve() : new Promise<void>((resolve) => stream.once('close', resolve).once('end', resolve))));
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, capMs)));
  return Promise.race([Promise.all(ended).then(() => undefined), cap]).finally(() => clearTimeout(timer));
}
