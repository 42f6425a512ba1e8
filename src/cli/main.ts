#!/usr/bin/env node
import 'reflect-metadata';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerCommands } from './register-commands.js';
import { processOutput } from './output.js';
import { packageVersion } from './package-info.js';

// Help and errors name the command as it was invoked (pie-trtllm or pie-driver-tensorrt-llm).
const invokedAs = basename(process.argv[1] ?? '').replace(/\.js$/, '');
const program = new Command(invokedAs === 'main' || !invokedAs ? 'pie-trtllm' : invokedAs)
  .description('TensorRT-LLM driver for Pie: validate pie.toml, check the Python environment, run and serve the driver')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

// A reader that stops reading (`| head`) is not an error of this command: what it would still
// print has nowhere to go, and the command ends as it would have.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

registerCommands(program, processOutput);

// With --json, a failure is JSON on stdout too, so a script reading stdout always gets JSON.
const json = process.argv.includes('--json');
const fail = (code: string, message: string, exitCode: number) => {
  if (json) processOutput.out(JSON.stringify({ ok: false, error: { code, message } }));
  process.exitCode = exitCode;
};

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exitCode = 0;
    else fail('USAGE', error.message.replace(/^error: /, ''), 2);
  } else if (error instanceof CliError) {
    processOutput.err(`error: ${error.message}`);
    if (error.reported) process.exitCode = error.exitCode;
    else fail(error.code ?? (error.exitCode === 2 ? 'USAGE' : 'FAILED'), error.message, error.exitCode);
  } else {
    const err = error as Error & { code?: string };
    processOutput.err(`error: ${err.code ? `[${err.code}] ` : ''}${err.message}`);
    if (process.env.PIE_DEBUG) processOutput.err(String(err.stack));
    fail(err.code ?? 'FAILED', err.message, 1);
  }
}
