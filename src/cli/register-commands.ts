import type { Command } from 'commander';
import type { Output } from './output.js';
import { registerConformanceCommand } from './commands/conformance-command.js';
import { registerListCommand } from './commands/list-command.js';
import { registerSchemaCommand } from './commands/schema-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerValidateCommand } from './commands/validate-command.js';

/** Every command of the CLI, in the order `--help` lists them. */
export function registerCommands(program: Command, output: Output): void {
  registerValidateCommand(program, output);
  registerSchemaCommand(program, output);
  registerServeCommand(program, output);
  registerListCommand(program, output);
  registerConformanceCommand(program, output);
}
