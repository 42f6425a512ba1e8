import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './cli-error.js';

/** Creates a temporary file beside `target` that no one else could have prepared: a name nobody
 *  can predict, created exclusively and never through a link (O_EXCL | O_NOFOLLOW), so a link
 *  planted in the folder cannot redirect the write or become the file. */
function createTemporary(target: string, mode: number): { path: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    const path = `${target}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      return { path, fd: openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 4) throw error;
    }
  }
}

/** Writes `text` to `file` through a temporary file and a rename, so a reader never sees half a
 *  file. A symbolic link at `file` is the operator's own and is kept: its target is replaced. */
export function writeAtomically(file: string, text: string): void {
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? `${folder} (or a folder above it) is a file, not a folder; point PIE_HOME at a folder` : (error as Error).message;
    throw new CliError(`cannot write ${file}: ${why}`, 1);
  }
  let target = file;
  let mode = 0o644;
  try {
    if (lstatSync(file).isSymbolicLink()) target = realpathSync(file);
    mode = statSync(target).mode & 0o777; // the replacement keeps the file's permissions
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot write ${file}: ${(error as Error).message}`, 1);
  }
  let temporary: { path: string; fd: number } | undefined;
  try {
    temporary = createTemporary(target, mode);
    const bytes = Buffer.from(text, 'utf8');
    for (let written = 0; written < bytes.length; ) written += writeSync(temporary.fd, bytes, written);
    fsyncSync(temporary.fd);
    closeSync(temporary.fd);
    temporary.fd = -1;
    renameSync(temporary.path, target);
  } catch (error) {
    if (temporary) {
      if (temporary.fd >= 0) closeSync(temporary.fd);
      rmSync(temporary.path, { force: true }); // ours: created exclusively above
    }
    throw new CliError(`cannot write ${target}: ${(error as Error).message}`, 1);
  }
}
