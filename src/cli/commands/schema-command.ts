import type { Command } from 'commander';
import { schemaPaths } from '../../config/schema-files.js';
import type { Output } from '../output.js';

export function registerSchemaCommand(program: Command, output: Output): void {
  program
    .command('schema')
    .description('print the path of the [model.driver] JSON Schema (or, with --root, of the whole-file pie.toml schema for editors)')
    .option('--root', 'the whole-file schema (use it in a `#:schema` directive or a .taplo.toml rule)')
    .action((options: { root?: boolean }) => {
      output.out(options.root ? schemaPaths.pie : schemaPaths.driver);
    });
}
