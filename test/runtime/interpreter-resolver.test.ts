import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { InterpreterResolver } from '../../src/runtime/interpreter-resolver.js';
import { libraryPathWith, wheelLibraryDirs } from '../../src/runtime/library-path.js';
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
    expect(resolve({ ...env, PIE_PYTHON: '' }).source).to.match(/^\$VIRTUAL_ENV/);
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: join(root, 'missing') }).source).to.match(/\[driver\.tensorrt_llm\]\.venv/);
    writeFileSync(join(home, 'drivers.toml'), `[python]\nvenv = "${shared}"\n`);
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: '' }).source).to.match(/\[python\]\.venv/);
    writeFileSync(join(home, 'drivers.toml'), '');
    expect(resolve({ ...env, PIE_PYTHON: '', VIRTUAL_ENV: '' })).to.deep.equal({ python: join(pathDir, 'python3'), source: '$PATH (which python3)' });
  });

  it('lists every place it looked when nothing resolves, and falls back to PATH only for simulated runs', () => {
    const bare = { PIE_HOME: home, PATH: join(root, 'empty') };
    expect(() => new InterpreterResolver(bare).resolve({})).to.throw(RuntimeError, /\$PIE_PYTHON, \$VIRTUAL_ENV, .*drivers\.toml \(\[driver\.tensorrt_llm\] then \[python\]\) and python3 on \$PATH/);
    const broken = { ...env, PIE_PYTHON: join(root, 'nope', 'python') };
    expect(() => new InterpreterResolver(broken).resolve({})).to.throw(/\$PIE_PYTHON: .* is not an executable interpreter/);
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
