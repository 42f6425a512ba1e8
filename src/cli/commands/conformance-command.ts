import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import type { Output } from '../output.js';

const kitDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugin', 'conformance');

export function registerConformanceCommand(program: Command, _output: Output): void {
  program
    .command('conformance')
    .description('run the driver plugin conformance kit against the plugin package in DIR (default: the current package), on Node\'s built-in test runner: one line per check; exit 0 only if it passes')
    .argument('[dir]', 'the plugin package folder', '.')
    .option('--json', 'print one JSON report at the end: ok, the counts, and each check with its status and reason')
    .action(async (dir: string, options: { json?: boolean }) => {
      const packageDir = resolve(dir);
      if (!existsSync(join(packageDir, 'package.json'))) throw new CliError(`${packageDir} has no package.json; point conformance at a plugin package folder`, 2);
      // A child `node --test`: the kit's checks run in a process of their own, reported one line each.
      const code = await new Promise<number>((done, fail) => {
        const reporter = join(kitDir, options.json ? 'json-reporter.js' : 'line-reporter.js');
        const child = spawn(process.execPath, ['--test', `--test-reporter=${reporter}`, join(kitDir, 'node-test-entry.js')], {
          env: { ...process.env, PIE_CONFORMANCE_DIR: packageDir },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('error', fail);
        child.on('exit', (status) => done(status ?? 1));
      });
      process.exitCode = code === 0 ? 0 : 1;
    });
}
