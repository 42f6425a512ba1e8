import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defineDriverConformance } from '../../plugin/conformance/index.js';
import { CliError } from '../cli-error.js';
import type { Output } from '../output.js';

interface MochaLike {
  suite: { emit(event: string, context: unknown, file: string, mocha: unknown): void };
  run(done: (failures: number) => void): void;
}

export function registerConformanceCommand(program: Command, output: Output): void {
  program
    .command('conformance')
    .description('run the driver plugin conformance kit against the plugin package in DIR (default: the current package); exit 0 only if it passes')
    .argument('[dir]', 'the plugin package folder', '.')
    .action(async (dir: string) => {
      const packageDir = resolve(dir);
      if (!existsSync(join(packageDir, 'package.json'))) throw new CliError(`${packageDir} has no package.json; point conformance at a plugin package folder`, 2);
      let Mocha: new (options: object) => MochaLike;
      try {
        Mocha = (await import('mocha')).default as unknown as typeof Mocha;
      } catch {
        throw new CliError('the conformance kit runs on mocha; install it (npm install --save-dev mocha) and run again', 2);
      }
      const mocha = new Mocha({ reporter: 'spec', timeout: 60_000 });
      mocha.suite.emit('pre-require', globalThis, 'conformance', mocha);
      defineDriverConformance({ packageDir });
      const failures = await new Promise<number>((done) => mocha.run(done));
      output.err(failures === 0 ? `✓ ${packageDir} conforms` : `✗ ${failures} conformance check${failures === 1 ? '' : 's'} failed for ${packageDir}`);
      process.exitCode = failures === 0 ? 0 : 1;
    });
}
