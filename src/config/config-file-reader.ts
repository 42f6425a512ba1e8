import { FileReadRefusal, MAX_CONFIG_FILE_BYTES, readRegularFile } from './bounded-file.js';

/** A configuration file that cannot be read, or is not UTF-8 text. */
export class ConfigFileError extends Error {
  readonly code = 'CONFIG_UNREADABLE';
  constructor(readonly file: string, reason: string) {
    super(`${file}: cannot read the configuration: ${reason}`);
    this.name = 'ConfigFileError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The line (1-based) of the first byte sequence that is not UTF-8. */
function firstInvalidLine(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    try {
      utf8.decode(bytes.subarray(start, end < 0 ? bytes.length : end));
    } catch {
      return line;
    }
    if (end < 0) return line;
    line++;
    start = end + 1;
  }
}

/**
 * A TOML file's text, from a regular file of at most MAX_CONFIG_FILE_BYTES (a device, a pipe or a
 * folder is refused, as is a larger file). TOML files are UTF-8 (TOML 1.0): a UTF-8 byte-order mark is dropped, a
 * UTF-16 file and bytes that are not UTF-8 are refused with where and how to fix them, never
 * read as replacement characters. `undefined` for a missing file when `missingOk`.
 */
export function readConfigText(file: string, options: { missingOk?: boolean } = {}): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, MAX_CONFIG_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadRefusal)) throw error;
    if (error.code === 'ENOENT' && options.missingOk) return undefined;
    const reason =
      error.code === 'ENOENT' ? 'no such file (check the path)'
      : error.code === 'EACCES' ? 'permission denied (check who owns it)'
      : error.code === 'ENOTDIR' ? 'a folder on its path is a file'
      : error.code === 'TOO_LARGE' ? `${error.reason}; a pie.toml or drivers.toml is a few kilobytes: check that the path names the configuration`
      : error.reason;
    throw new ConfigFileError(file, reason);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ConfigFileError(file, 'it is UTF-16 text; TOML files are UTF-8: save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)');
  }
  try {
    return utf8.decode(bytes); // drops a UTF-8 byte-order mark
  } catch {
    throw new ConfigFileError(file, `line ${firstInvalidLine(bytes)} holds bytes that are not UTF-8; TOML files are UTF-8: fix or re-save that line`);
  }
}
