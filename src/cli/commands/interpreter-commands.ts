import { existsSync, statSync } from 'node:fs';
import { readConfigText } from '../../config/config-file-reader.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { hasControlCharacters, terminalSafe } from '../../runtime/terminal-text.js';
import { readDriversFile } from '../../runtime/drivers-file.js';
import { type InterpreterKey, setInterpreterSetting, unsetInterpreterSetting } from '../../runtime/drivers-file-editor.js';
import { InterpreterResolver } from '../../runtime/interpreter-resolver.js';
import { driversFilePath } from '../../runtime/pie-home.js';
import { writeAtomically } from '../atomic-write.js';
import { CliError } from '../cli-error.js';
import type { Output } from '../output.js';

function readText(file: string): string {
  return readConfigText(file, { missingOk: true }) ?? '';
}

function interpreterKey(value: string): InterpreterKey {
  if (value !== 'venv' && value !== 'python') throw new CliError(`expected \`venv\` or \`python\`, found ${JSON.stringify(value)}`, 2);
  return value;
}

/** The settings of this driver in drivers.toml and the one interpreter they resolve to. */
function interpreterReport() {
  const file = driversFilePath();
  const settings = readDriversFile(file);
  try {
    const interpreter = new InterpreterResolver().resolve({});
    return { file, exists: existsSync(file), set: settings.driver, python: interpreter.python, source: interpreter.source };
  } catch (error) {
    return { file, exists: existsSync(file), set: settings.driver, python: null, reason: (error as Error).message };
  }
}

function show(output: Output, json = false): boolean {
  const report = interpreterReport();
  if (json) {
    output.out(JSON.stringify({ ok: report.python !== null, ...report }));
    return report.python !== null;
  }
  output.text('driver: tensorrt_llm');
  output.text(`file:   ${report.file}${report.exists ? '' : ' (not created yet)'}`);
  // The settings, then the one interpreter they resolve to (a single `python:` line).
  for (const key of ['venv', 'python'] as const) if (report.set[key]) output.text(`set:    ${key} = ${report.set[key]} ([driver.tensorrt_llm])`);
  if (report.python === null) {
    output.text('python: NOT RESOLVED');
    output.text(`reason: ${report.reason}`);
    return false;
  }
  output.text(`python: ${report.python}`);
  output.text(`source: ${report.source}`);
  return true;
}

export function registerInterpreterCommands(program: Command, output: Output): void {
  program
    .command('set')
    .description('set the default interpreter of this driver in $PIE_HOME/drivers.toml [driver.tensorrt_llm] (venv and python exclude each other)')
    .argument('<key>', '`venv` (a virtual environment folder) or `python` (an interpreter path)')
    .argument('<path>', 'the folder or interpreter')
    .action((key: string, path: string) => {
      const which = interpreterKey(key);
      if (path.trim() === '') throw new CliError(`${which} needs a path, found an empty one (to remove the setting: pie-trtllm unset ${which})`, 2);
      if (hasControlCharacters(path)) {
        throw new CliError(`${which} path ${terminalSafe(JSON.stringify(path))} holds a control character; drivers.toml cannot hold it and no interpreter lives there. Give the real path`, 1);
      }
      const value = resolve(path);
      if (which === 'venv' && existsSync(value) && !statSync(value).isDirectory()) {
        throw new CliError(`${value} is a file, not a virtual environment's folder; for an interpreter use \`pie-trtllm set python ${value}\`, or give the venv folder (the one holding bin/python)`, 2);
      }
      const file = driversFilePath();
      const other = which === 'venv' ? 'python' : 'venv';
      const replaced = readDriversFile(file).driver[other];
      writeAtomically(file, setInterpreterSetting(readText(file), which, value, file));
      output.text(`Set [driver.tensorrt_llm].${which} in ${file}`);
      if (replaced) output.err(`! removed ${other} = ${replaced}: venv and python exclude each other`);
      const python = which === 'venv' ? join(value, 'bin', 'python') : value;
      // The setting is written either way: a venv is often set before it is installed.
      if (!existsSync(python)) output.err(`! ${python} does not exist yet; create it with \`pie-trtllm install ${which === 'venv' ? value : 'PATH'}\``);
      show(output);
    });
  program
    .command('unset')
    .description('remove the venv or python setting of this driver from $PIE_HOME/drivers.toml')
    .argument('<key>', '`venv` or `python`')
    .action((key: string) => {
      const which = interpreterKey(key);
      const file = driversFilePath();
      const { text, changed } = unsetInterpreterSetting(readText(file), which, file);
      if (changed) writeAtomically(file, text);
      output.text(changed ? `Removed [driver.tensorrt_llm].${which} from ${file}` : `[driver.tensorrt_llm].${which} was not set in ${file}`);
      if (!show(output)) process.exitCode = 1;
    });
  program
    .command('show')
    .description('show the interpreter this driver would use and where that choice comes from')
    .option('--json', 'print the settings and the interpreter as one JSON object')
    .action((options: { json?: boolean }) => {
      if (!show(output, Boolean(options.json))) process.exitCode = 1;
    });
}
