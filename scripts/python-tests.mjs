#!/usr/bin/env node
// The Python half of the tests: the runtime's pytest suite.
//   node scripts/python-tests.mjs [--check] [--pythons 3.10,3.12] [pytest arguments...]
// Without --pythons it runs on `python3` (or $PIE_TEST_PYTHON); without pytest or hypothesis there
// it stops with one line that says what to install. `--check` only looks for them: `npm test` runs
// it first, so a missing prerequisite is said before minutes of mocha.
// --pythons runs the suite on each of those versions as well (TensorRT-LLM 1.2.1 ships for 3.10 and
// 3.12): each is found as python3.X on PATH or under pyenv, and gets the donor's pure-Python pytest
// and hypothesis (with what they need on that version) through PYTHONPATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const donor = process.env.PIE_TEST_PYTHON || 'python3';
const args = process.argv.slice(2);
const check = args[0] === '--check';
if (check) args.shift();
let versions = [];
const at = args.indexOf('--pythons');
if (at >= 0) {
  versions = (args[at + 1] ?? '').split(',').filter(Boolean);
  if (versions.length === 0 || !versions.every((v) => /^3\.\d+$/.test(v))) {
    console.error(`--pythons needs versions like 3.10,3.12, found ${JSON.stringify(args[at + 1] ?? '')}`);
    process.exit(2);
  }
  args.splice(at, 2);
}

const probe = spawnSync(donor, ['-c', 'import pytest, hypothesis'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const missing = probe.error ? `${donor} was not found` : probe.stderr.trim().split('\n').pop() || `${donor} cannot import them`;
  console.error(
    `the Python tests need pytest and hypothesis (${missing}). Install them in a virtual environment ` +
      `(\`python3 -m venv .venv && .venv/bin/pip install pytest hypothesis\`, then PIE_TEST_PYTHON=.venv/bin/python npm test), ` +
      `or from the distribution (Debian and Ubuntu: \`apt-get install python3-pytest python3-hypothesis\`)`,
  );
  process.exit(1);
}

/** PYTHONPATH for `python`: a folder of links to the donor's pytest and hypothesis and their needs on its version. */
function testPath(python, version) {
  const full = spawnSync(python, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).stdout.trim();
  const folder = join(root, 'node_modules', '.cache', 'pie-python-test-deps', full);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const sites = ['/usr/lib/python3/dist-packages'].filter(existsSync);
  const made = spawnSync(donor, [join(root, 'scripts', 'python-test-deps.py'), full, folder, ...sites], { encoding: 'utf8' });
  let report;
  try {
    report = JSON.parse(made.stdout);
  } catch {
    console.error(`cannot put pytest within reach of Python ${version}: ${made.stderr.trim().split('\n').pop() || made.error?.message}`);
    process.exit(1);
  }
  if (made.status !== 0) {
    console.error(`cannot put pytest within reach of Python ${version}: ${report.hint ?? `compiled packages: ${report.compiled.join(', ')}`}`);
    process.exit(1);
  }
  return folder;
}

if (check) process.exit(0);
const runs = [{ label: `${donor}`, python: donor, env: process.env }];
// Found as `pie-trtllm install` finds them (python3.X on PATH, else under pyenv): from the build,
// which `npm run test:long` makes first.
const { findPython } = versions.length ? await import('../dist/src/cli/install/python-finder.js') : {};
for (const version of versions) {
  const python = findPython(version)?.command;
  if (!python) {
    console.error(`Python ${version} was not found (python${version} on PATH, or under pyenv); install it, e.g. \`pyenv install ${version}\``);
    process.exit(1);
  }
  const path = testPath(python, version);
  runs.push({ label: `Python ${version} (${python})`, python, env: { ...process.env, PYTHONPATH: [path, process.env.PYTHONPATH].filter(Boolean).join(':') } });
}
for (const run of runs.slice(versions.length ? 1 : 0)) {
  if (versions.length) console.log(`\n== the runtime's tests on ${run.label}`);
  const result = spawnSync(run.python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'python/tests', ...args], { stdio: 'inherit', env: run.env, cwd: root });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
