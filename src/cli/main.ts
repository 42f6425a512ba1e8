#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerCommands } from './register-commands.js';
import { processOutput } from './output.js';
import { packageVersion } from './package-info.js';

const program = new Command('pie-driver-tensorrt-llm')
  .description('TensorRT-LLM driver for Pie: validate pie.toml, check the Python environment, run and serve the driver')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

registerCommands(program, processOutput);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliError) {
    processOutput.err(`error: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    const err = error as Error & { code?: string };
    processOutput.err(`error: ${err.code ? `[${err.code}] ` : ''}${err.message}`);
    if (process.env.PIE_DEBUG) processOutput.err(String(err.stack));
    process.exitCode = 1;
  }
}
