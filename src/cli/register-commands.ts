import type { Command } from 'commander';
import type { Output } from './output.js';
import { registerSchemaCommand } from './commands/schema-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerValidateCommand } from './commands/validate-command.js';

/** Every command of the CLI, in the order `--help` lists them. */
export function registerCommands(program: Command, output: Output): void {
  registerValidateCommand(program, output);
  registerSchemaCommand(program, output);
  registerServeCommand(program, output);
}
