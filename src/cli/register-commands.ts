import type { Command } from 'commander';
import type { Output } from './output.js';
import { registerConformanceCommand } from './commands/conformance-command.js';
import { registerDoctorCommand } from './commands/doctor-command.js';
import { registerGenerateCommand } from './commands/generate-command.js';
import { registerInstallCommand } from './commands/install-command.js';
import { registerInterpreterCommands } from './commands/interpreter-commands.js';
import { registerListCommand } from './commands/list-command.js';
import { registerSchemaCommand } from './commands/schema-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerValidateCommand } from './commands/validate-command.js';

/** Every command of the CLI, in the order `--help` lists them. */
export function registerCommands(program: Command, output: Output): void {
  registerValidateCommand(program, output);
  registerSchemaCommand(program, output);
  registerServeCommand(program, output);
  registerGenerateCommand(program, output);
  registerListCommand(program, output);
  registerDoctorCommand(program, output);
  registerInterpreterCommands(program, output);
  registerInstallCommand(program, output);
  registerConformanceCommand(program, output);
}
