import type { Command } from 'commander';
import { formatProblem } from '../../config/config-problem.js';
import { ConfigFileError, validatePieFile } from '../../config/pie-file-validator.js';
import { TomlSyntaxError } from '../../config/toml-document.js';
import { CliError } from '../cli-error.js';
import { type Output, printJson } from '../output.js';

export function registerValidateCommand(program: Command, output: Output): void {
  program
    .command('validate')
    .description('validate a pie.toml: exit 0 when valid, 1 with one `path: message` line per problem, 2 when the file cannot be read or parsed')
    .argument('<file>', 'the pie.toml to check')
    .option('--json', 'print a JSON report instead of lines')
    .action((file: string, options: { json?: boolean }) => {
      let result;
      try {
        result = validatePieFile(file);
      } catch (error) {
        if (error instanceof TomlSyntaxError || error instanceof ConfigFileError) {
          if (options.json) printJson(output, { file, valid: false, error: { code: error.code, message: error.message } });
          throw new CliError(error.message, 2, { code: error.code, reported: Boolean(options.json) });
        }
        throw error;
      }
      if (!options.json) {
        for (const warning of result.warnings) output.err(`warning: ${formatProblem(warning, file)}`);
        for (const note of result.notes) output.err(`note: ${formatProblem(note, file)}`);
      }
      if (options.json) {
        printJson(output, {
          file,
          valid: result.ok,
          problems: result.problems,
          warnings: result.warnings,
          notes: result.notes,
          models: result.models.map((m) => ({ name: m.name, hf_repo: m.hf_repo, driver: m.driver })),
        });
      } else if (result.ok) {
        const names = result.models.map((m) => m.name).join(', ');
        output.text(`${file}: valid (${result.models.length} model${result.models.length === 1 ? '' : 's'} served by tensorrt_llm${names ? `: ${names}` : ''})`);
      } else {
        for (const problem of result.problems) {
          output.text(formatProblem(problem, file));
        }
      }
      if (!result.ok) process.exitCode = 1;
    });
}

