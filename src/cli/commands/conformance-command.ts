import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EXPECTED_FILE_VARIABLE, readVerdict, VERDICT_FILE_VARIABLE } from '../../plugin/conformance/run-record.js';
import { CliError } from '../cli-error.js';
import { type Output, printJson } from '../output.js';

const kitDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugin', 'conformance');

/** How long a whole run may take by default: every check's start included, a GPU driver's too. */
const DEFAULT_TIMEOUT_S = 900;

function timeoutSeconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value > 0) || value > 86_400) throw new CliError(`--timeout must be a number of seconds above 0 and at most 86400, found ${JSON.stringify(text)}`, 2);
  return value;
}

export function registerConformanceCommand(program: Command, output: Output): void {
  program
    .command('conformance')
    .description('run the driver plugin conformance kit against the plugin package in DIR (default: the current package), on Node\'s built-in test runner: one line per check; exit 0 only if every check reported and passed')
    .argument('[dir]', 'the plugin package folder', '.')
    .option('--json', 'print one JSON report at the end: ok, the counts, and each check with its status and reason')
    .option('--timeout <seconds>', 'end the run, and everything it started, after this long', String(DEFAULT_TIMEOUT_S))
    .action(async (dir: string, options: { json?: boolean; timeout: string }) => {
      const packageDir = resolve(dir);
      if (!existsSync(join(packageDir, 'package.json'))) throw new CliError(`${packageDir} has no package.json; point conformance at a plugin package folder`, 2);
      const limitMs = timeoutSeconds(options.timeout) * 1000;
      const records = mkdtempSync(join(tmpdir(), 'pie-conformance-'));
      const verdictFile = join(records, 'verdict.json');
      try {
        // A child `node --test` in a process group of its own: the kit's checks run apart, reported
        // one line each, and the whole group can be ended if the run does not end by itself.
        const reporter = join(kitDir, options.json ? 'json-reporter.js' : 'line-reporter.js');
        const child = spawn(process.execPath, ['--test', `--test-reporter=${reporter}`, join(kitDir, 'node-test-entry.js')], {
          env: { ...process.env, PIE_CONFORMANCE_DIR: packageDir, [EXPECTED_FILE_VARIABLE]: join(records, 'expected.json'), [VERDICT_FILE_VARIABLE]: verdictFile },
          stdio: ['ignore', 'inherit', 'inherit'],
          detached: true,
        });
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* ended just now */
          }
        }, limitMs);
        const code = await new Promise<number>((done, fail) => {
          child.on('error', fail);
          child.on('exit', (status) => done(status ?? 1));
        }).finally(() => clearTimeout(timer));
        // The reporter prints the report at the end; a run that never got there says why here, as
        // JSON on stdout under --json (a script reading stdout always gets one document).
        const failed = (code: string, message: string) => {
          output.err(`✗ ${message}`);
          if (options.json) printJson(output, { ok: false, error: { code, message } });
          process.exitCode = 1;
        };
        if (timedOut) {
          failed('CONFORMANCE_TIMEOUT', `the conformance run did not end within ${limitMs / 1000} s (a check that hangs, or a process the plugin started holding the run's output open); it was ended. Give more time with --timeout, or find what the driver leaves running`);
          return;
        }
        const verdict = readVerdict(verdictFile);
        if (!verdict) {
          failed('CONFORMANCE_INCOMPLETE', 'the conformance run ended without a verdict (its reporter never finished): the plugin ended or crashed the test runner');
          return;
        }
        process.exitCode = code === 0 && verdict.ok ? 0 : 1;
      } finally {
        rmSync(records, { recursive: true, force: true });
      }
    });
}
