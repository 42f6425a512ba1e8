import fs, { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigFileError, readConfigText } from '../../src/config/config-file-reader.js';

// TOML 1.0: "A TOML file must be a valid UTF-8 encoded Unicode document." The expected line of
// each bad byte is counted by hand from the bytes written.

const dir = mkdtempSync(join(tmpdir(), 'pie-config-reader-'));
let serial = 0;
function file(bytes: number[] | string): string {
  const path = join(dir, `f${serial++}.toml`);
  writeFileSync(path, typeof bytes === 'string' ? bytes : Buffer.from(bytes));
  return path;
}
const text = (s: string) => [...Buffer.from(s)];

/** The error `readConfigText` throws for `path`, as `file: cannot read the configuration: reason`. */
function refusal(path: string): ConfigFileError {
  try {
    readConfigText(path);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigFileError);
    return error as ConfigFileError;
  }
  throw new Error(`${path} was read`);
}
const reason = (path: string) => {
  const error = refusal(path);
  expect(error.file).to.equal(path);
  expect(error.code).to.equal('CONFIG_UNREADABLE');
  expect(error.message.startsWith(`${path}: cannot read the configuration: `), error.message).to.equal(true);
  return error.message.slice(`${path}: cannot read the configuration: `.length);
};
const utf16 = 'it is UTF-16 text; TOML files are UTF-8: save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8`)';
const notUtf8 = (line: number) => `line ${line} holds bytes that are not UTF-8; TOML files are UTF-8: fix or re-save that line`;

describe('readConfigText: a TOML file is UTF-8 text', () => {
  it('reads UTF-8, dropping a byte-order mark; a last line without a newline is kept', () => {
    expect(readConfigText(file('a = "é"\nb = 2'))).to.equal('a = "é"\nb = 2');
    expect(readConfigText(file([0xef, 0xbb, 0xbf, ...text('a = 1\n')]))).to.equal('a = 1\n');
    expect(readConfigText(file(''))).to.equal('');
  });

  it('refuses UTF-16 in both byte orders, by its byte-order mark', () => {
    expect(reason(file([0xff, 0xfe, ...text('a\0')]))).to.equal(utf16);
    expect(reason(file([0xfe, 0xff, ...text('\0a')]))).to.equal(utf16);
  });

  it('names the line of the first bytes that are not UTF-8', () => {
    // Half a mark is not UTF-16: 0xff and 0xfe are never UTF-8, so line 1 is named.
    expect(reason(file([0xff, 0xff, ...text('\n')]))).to.equal(notUtf8(1));
    expect(reason(file([0xfe, 0xfe]))).to.equal(notUtf8(1));
    expect(reason(file([0xff, ...text('a\n')]))).to.equal(notUtf8(1));
    expect(reason(file([...text('a = 1\nb = 2\nc = "'), 0xc3, ...text('"\nd = 4\n')]))).to.equal(notUtf8(3));
    // The last line, with no newline after it.
    expect(reason(file([...text('a = 1\n'), 0x80]))).to.equal(notUtf8(2));
    // A file that starts with a newline: the empty first line is line 1.
    expect(reason(file([...text('\n'), 0xff]))).to.equal(notUtf8(2));
    // The first bad line, not a later one.
    expect(reason(file([...text('\n\nx = "'), 0xe2, 0x82, ...text('"\n'), 0xff]))).to.equal(notUtf8(3));
  });
});

describe('readConfigText: a file that cannot be read', () => {
  it('says why for a missing file, a directory and a path through a file', () => {
    expect(reason(join(dir, 'absent.toml'))).to.equal('no such file (check the path)');
    const folder = join(dir, 'folder.toml');
    mkdirSync(folder);
    expect(reason(folder)).to.equal('it is a directory, not a file');
    expect(reason(join(file('x = 1\n'), 'pie.toml'))).to.equal('a folder on its path is a file');
  });

  it('passes any other reason on as the system words it', () => {
    const loop = join(dir, 'loop.toml');
    symlinkSync(loop, loop);
    expect(reason(loop)).to.match(/^ELOOP: too many symbolic links encountered/);
  });

  it('returns nothing for a missing file only when told a missing file is fine', () => {
    expect(readConfigText(join(dir, 'absent.toml'), { missingOk: true })).to.equal(undefined);
    expect(() => readConfigText(join(dir, 'absent.toml'), { missingOk: false })).to.throw(ConfigFileError, 'no such file');
    const folder = join(dir, 'another-folder.toml');
    mkdirSync(folder);
    expect(() => readConfigText(folder, { missingOk: true }), 'only a missing file').to.throw(ConfigFileError, 'it is a directory');
  });

  it('says who to ask for a file it may not read', () => {
    // Run as root, no file mode refuses a read: the refusal comes from a stand-in openSync,
    // with the error Node raises for EACCES.
    const original = fs.openSync;
    const locked = file('x = 1\n');
    fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
      if (path === locked) throw Object.assign(new Error(`EACCES: permission denied, open '${locked}'`), { code: 'EACCES' });
      return (original as (...args: unknown[]) => unknown)(path, ...rest);
    }) as typeof fs.openSync;
    syncBuiltinESMExports();
    try {
      expect(reason(locked)).to.equal('permission denied (check who owns it)');
      expect(() => readConfigText(locked, { missingOk: true }), 'only a missing file is fine').to.throw(ConfigFileError, 'permission denied');
    } finally {
      fs.openSync = original;
      syncBuiltinESMExports();
    }
  });
});
