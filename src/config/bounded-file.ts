import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The most bytes a configuration file (pie.toml, drivers.toml) may hold. */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;

/** Why a file was not read: `code` is the errno of a failed open, or what the path turned out to be. */
export class FileReadRefusal extends Error {
  constructor(readonly code: string, readonly reason: string) {
    super(reason);
    this.name = 'FileReadRefusal';
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device (such as /dev/zero)';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;

/** The bytes of a regular file of at most `maxBytes`. Anything else (a device, a pipe, a folder,
 *  a larger file) is refused before or while it is read, so no input can make the process grow
 *  without bound or wait on a pipe. Non-blocking open: a named pipe with no writer is not waited on. */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadRefusal(code, (error as Error).message);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileReadRefusal(stats.isDirectory() ? 'EISDIR' : 'NOT_REGULAR', `it is ${kindOf(stats)}, not a file`);
    const tooLarge = (size: string) => new FileReadRefusal('TOO_LARGE', `it is ${size}, above the ${mib(maxBytes)} a configuration file may hold`);
    if (stats.size > maxBytes) throw tooLarge(`${stats.size} bytes`);
    // Read to the end, never past the cap: the file may grow while it is read.
    const chunk = Buffer.alloc(64 * 1024);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw tooLarge(`more than ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk.subarray(0, read)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
