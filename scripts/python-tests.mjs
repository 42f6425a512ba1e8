#!/usr/bin/env node
// The Python half of `npm test`: the runtime's pytest suite. Without pytest or hypothesis it stops
// with one line that says what to install, instead of a Python traceback. `--check` only looks for
// them: `npm test` runs it first, so a missing prerequisite is said before minutes of mocha.
import { spawnSync } from 'node:child_process';

const python = process.env.PIE_TEST_PYTHON || 'python3';
const probe = spawnSync(python, ['-c', 'import pytest, hypothesis'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const missing = probe.error ? `${python} was not found` : probe.stderr.trim().split('\n').pop() || `${python} cannot import them`;
  console.error(
    `npm test needs pytest and hypothesis for the Python runtime's tests (${missing}). Install them in a virtual environment ` +
      `(\`python3 -m venv .venv && .venv/bin/pip install pytest hypothesis\`, then PIE_TEST_PYTHON=.venv/bin/python npm test), ` +
      `or from the distribution (Debian and Ubuntu: \`apt-get install python3-pytest python3-hypothesis\`)`,
  );
  process.exit(1);
}
if (process.argv[2] === '--check') process.exit(0);
const run = spawnSync(python, ['-m', 'pytest', '-q', 'python/tests', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
