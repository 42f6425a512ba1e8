#!/usr/bin/env node
// The Python half of `npm test`: the runtime's pytest suite. Without pytest or hypothesis it stops
// with one line that says what to install, instead of a Python traceback.
import { spawnSync } from 'node:child_process';

const python = process.env.PIE_TEST_PYTHON || 'python3';
const probe = spawnSync(python, ['-c', 'import pytest, hypothesis'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const missing = probe.error ? `${python} was not found` : probe.stderr.trim().split('\n').pop() || `${python} cannot import them`;
  console.error(`npm test needs pytest and hypothesis for the Python runtime's tests (${missing}); install them with \`${python} -m pip install pytest hypothesis\`, or set PIE_TEST_PYTHON to an interpreter that has them`);
  process.exit(1);
}
const run = spawnSync(python, ['-m', 'pytest', '-q', 'python/tests', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
