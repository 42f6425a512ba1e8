import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { InterpreterResolver } from '../../src/runtime/interpreter-resolver.js';
import { libraryPathWith, wheelLibraryDirs } from '../../src/runtime/library-path.js';
import { readDriversFile } from '../../src/runtime/drivers-file.js';
import { RuntimeError } from '../../src/runtime/runtime-errors.js';

function fakeVenv(root: string, name: string): string {
  const bin = join(root, name, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'python'), '#!/bin/sh\n');
  chmodSync(join(bin, 'python'), 0o755);
  return join(root, name);
}

describe('InterpreterResolver: Pie\'s order', () => {
  const root = mkdtempSync(join(tmpdir(), 'pie-interp-'));
  const options = fakeVenv(root, 'options');
  const pie = join(fakeVenv(root, 'pie'), 'bin', 'python');
  const virtual = fakeVenv(root, 'virtual');
  const driverVenv = fakeVenv(root, 'driver');
  const shared = fakeVenv(root, 'shared');
  const pathDir = join(root, 'path-bin');
  mkdirSync(pathDir);
  writeFileSync(join(pathDir, 'python3'), '#!/bin/sh\n');
  chmodSync(join(pathDir, 'python3'), 0o755);
  const home = join(root, 'home');
  mkdirSync(home);
  writeFileSync(join(home, 'drivers.toml'), `[python]\nvenv = "${shared}"\n\n[driver.tensorrt_llm]\nvenv = "${driverVenv}"\n`);
  const env = { PIE_PYTHON: pie, VIRTUAL_ENV: virtual, PIE_HOME: home, PATH: pathDir };

  it('takes each source in turn as the ones before it are removed', () => {
    const resolve = (e: NodeJS.ProcessEnv, request = {}) => new InterpreterResolver(e).resolve(request);
    expect(resolve(env, { venv: options }).source).to.match(/^\[model\.driver\.options\]\.venv/);
    expect(resolve(env).source).to.equal('$PIE_PYTHON');
    expect(resolve({ ...env, PIE_PYTHON: '' })).to.deep.equal({ python: join(virtual, 'bin', 'python'), source: `$VIRTUAL_ENV (${virtual})` });
    // A stale $VIRTUAL_ENV is passed over, and said so beside what resolves instead.
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: join(root, 'missing') }).source).to.equal(
      `${join(home, 'drivers.toml')} [driver.tensorrt_llm].venv (${driverVenv}); $VIRTUAL_ENV (${join(root, 'missing')}) was passed over: it has no bin/python (deactivate it, or recreate it)`,
    );
    writeFileSync(join(home, 'drivers.toml'), `[python]\nvenv = "${shared}"\n`);
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: '' }).source).to.match(/\[python\]\.venv/);
    writeFileSync(join(home, 'drivers.toml'), '');
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: '' })).to.deep.equal({ python: join(pathDir, 'python3'), source: '$PATH (which python3)' });
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: join(root, 'gone') }).source).to.equal(
      `$PATH (which python3); $VIRTUAL_ENV (${join(root, 'gone')}) was passed over: it has no bin/python (deactivate it, or recreate it)`,
    );
    expect(() => new InterpreterResolver({ PIE_HOME: home, PATH: join(root, 'empty'), VIRTUAL_ENV: join(root, 'gone') }).resolve({})).to.throw(
      `and python3 on $PATH; $VIRTUAL_ENV (${join(root, 'gone')}) was passed over: it has no bin/python (deactivate it, or recreate it). Fix:`,
    );
  });

  it('lists every place it looked when nothing resolves, and falls back to PATH only for simulated runs', () => {
    const bare = { PIE_HOME: home, PATH: join(root, 'empty') };
    expect(() => new InterpreterResolver(bare).resolve({})).to.throw(RuntimeError, /\$PIE_PYTHON, \$VIRTUAL_ENV, .*drivers\.toml \(\[driver\.tensorrt_llm\] then \[python\]\) and python3 on \$PATH/);
    expect(() => new InterpreterResolver(bare).resolve({})).to.throw(RuntimeError).that.includes({
      code: 'INTERPRETER_NOT_FOUND',
      message:
        'no Python interpreter found for driver `tensorrt_llm`; looked at [model.driver.options].venv/.python, $PIE_PYTHON, ' +
        `$VIRTUAL_ENV, ${join(home, 'drivers.toml')} ([driver.tensorrt_llm] then [python]) and python3 on $PATH. ` +
        'Fix: `pie-trtllm install` then `pie-trtllm set venv PATH`, or set options.venv in pie.toml',
    });
    const broken = { ...env, PIE_PYTHON: join(root, 'nope', 'python') };
    expect(() => new InterpreterResolver(broken).resolve({})).to.throw(`$PIE_PYTHON: ${join(root, 'nope', 'python')} is not an executable interpreter; fix or unset $PIE_PYTHON`);
    expect(new InterpreterResolver(broken).resolve({ simulate: true }).source).to.match(/^\$PATH \(which python3; simulated run/);
  });
});

describe('wheel library folders', () => {
  it('finds the NVIDIA and TensorRT library folders of the interpreter\'s site-packages, once each', () => {
    const venv = mkdtempSync(join(tmpdir(), 'pie-venv-'));
    const site = join(venv, 'lib', 'python3.12', 'site-packages');
    for (const dir of ['nvidia/cublas/lib', 'nvidia/cuda_runtime/lib', 'tensorrt_libs', 'tensorrt_llm/libs', 'nvidia/nothing']) mkdirSync(join(site, dir), { recursive: true });
    const dirs = wheelLibraryDirs(join(venv, 'bin', 'python'));
    expect(dirs.sort()).to.deep.equal([join(site, 'nvidia/cublas/lib'), join(site, 'nvidia/cuda_runtime/lib'), join(site, 'tensorrt_libs'), join(site, 'tensorrt_llm/libs')].sort());
    expect(libraryPathWith(dirs, `${dirs[0]}:/usr/lib`)!.split(':').filter((d) => d === dirs[0])).to.have.length(1);
    expect(libraryPathWith([], '/usr/lib')).to.equal('/usr/lib');
  });
});

describe('wheel library folders: what is not a wheel folder', () => {
  it('finds nothing without a lib folder, skips other languages\' lib folders and site-packages without wheels', () => {
    const bare = mkdtempSync(join(tmpdir(), 'pie-venv-'));
    expect(wheelLibraryDirs(join(bare, 'bin', 'python'))).to.deep.equal([]);
    const venv = mkdtempSync(join(tmpdir(), 'pie-venv-'));
    mkdirSync(join(venv, 'lib', 'perl5', 'site-packages', 'tensorrt_libs'), { recursive: true });
    mkdirSync(join(venv, 'lib', 'python3.11', 'site-packages', 'requests'), { recursive: true });
    expect(wheelLibraryDirs(join(venv, 'bin', 'python'))).to.deep.equal([]);
    mkdirSync(join(venv, 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib64'), { recursive: true });
    expect(wheelLibraryDirs(join(venv, 'bin', 'python'))).to.deep.equal([join(venv, 'lib', 'python3.11', 'site-packages', 'nvidia', 'cudnn', 'lib64')]);
  });

  it('puts missing folders in front of LD_LIBRARY_PATH, drops empty entries, and leaves a path that has them all as it was', () => {
    expect(libraryPathWith(['/w/a', '/w/b'], undefined)).to.equal('/w/a:/w/b');
    expect(libraryPathWith(['/w/a'], '')).to.equal('/w/a');
    expect(libraryPathWith(['/w/a', '/w/b'], '/usr/lib::/w/b:')).to.equal('/w/a:/usr/lib:/w/b');
    expect(libraryPathWith(['/w/a'], '/w/a::')).to.equal('/w/a::');
    expect(libraryPathWith([], undefined)).to.equal(undefined);
  });
});

describe('InterpreterResolver: settings that name an interpreter', () => {
  const root = mkdtempSync(join(tmpdir(), 'pie-interp-'));
  const python = join(fakeVenv(root, 'direct'), 'bin', 'python');
  const home = join(root, 'home');
  mkdirSync(home);
  const env = { PIE_HOME: home, PATH: join(root, 'empty') };

  it('refuses options that set both venv and python', () => {
    expect(() => new InterpreterResolver(env).resolve({ venv: root, python })).to.throw(RuntimeError, 'options: both `venv` and `python` are set; pick one');
  });

  it('names options.python and drivers.toml python entries as the source, and says how to fix a wrong one', () => {
    expect(new InterpreterResolver(env).resolve({ python })).to.deep.equal({ python, source: '[model.driver.options].python' });
    expect(() => new InterpreterResolver(env).resolve({ python: join(root, 'gone') })).to.throw(`[model.driver.options].python: ${join(root, 'gone')} is not an executable interpreter; fix the path`);
    const file = join(home, 'drivers.toml');
    writeFileSync(file, `[python]\npython = "${python}"\n`);
    expect(new InterpreterResolver(env).resolve({})).to.deep.equal({ python, source: `${file} [python].python` });
    writeFileSync(file, `[driver.tensorrt_llm]\npython = "${join(root, 'gone')}"\n\n[python]\npython = "${python}"\n`);
    expect(() => new InterpreterResolver(env).resolve({})).to.throw(`${file} [driver.tensorrt_llm].python: ${join(root, 'gone')} is not an executable interpreter; run \`pie-trtllm set python PATH\` with an existing interpreter`);
    writeFileSync(file, `[driver.tensorrt_llm]\nvenv = "${join(root, 'nov')}"\n`);
    expect(() => new InterpreterResolver(env).resolve({})).to.throw(`${file} [driver.tensorrt_llm].venv (${join(root, 'nov')}): ${join(root, 'nov', 'bin', 'python')} is not an executable interpreter; run \`pie-trtllm install ${join(root, 'nov')}\` or \`pie-trtllm set venv PATH\``);
  });
});

describe('drivers.toml reading', () => {
  const root = mkdtempSync(join(tmpdir(), 'pie-drivers-'));

  it('reads no settings from a missing file, and fails on a path that cannot be read', () => {
    expect(readDriversFile(join(root, 'missing.toml'))).to.deep.equal({ driver: {}, python: {} });
    expect(() => readDriversFile(root)).to.throw(`${root}: cannot read the configuration: it is a directory, not a file`);
  });

  it('takes only non-empty string venv and python values of the two tables', () => {
    const file = join(root, 'drivers.toml');
    writeFileSync(file, '[driver.tensorrt_llm]\nvenv = ""\npython = "/p"\n\n[driver.other]\nvenv = "/o"\n\n[python]\nvenv = 3\npython = "/q"\n');
    expect(readDriversFile(file)).to.deep.equal({ driver: { python: '/p' }, python: { python: '/q' } });
    writeFileSync(file, 'python = "/not-a-table"\n[driver]\ntensorrt_llm = 5\n');
    expect(readDriversFile(file)).to.deep.equal({ driver: {}, python: {} });
  });
});
