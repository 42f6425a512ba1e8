import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pieHome } from '../../runtime/pie-home.js';
import { CliError } from '../cli-error.js';
import { type InstallStep, installRecipe, MPI_NOTE, shellLine, shellQuote, TORCH_CUDA_INDEX } from '../install/install-recipe.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';

function runStep(step: InstallStep, progress: Progress, output: Output): Promise<{ code: number | null; last: string }> {
  return new Promise((done, fail) => {
    const child = spawn(step.command, step.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = '';
    const onData = (chunk: Buffer) => {
      const lines = chunk.toString('utf8').split(/\r?\n|\r/).filter((l) => l.trim());
      if (lines.length) {
        last = lines.at(-1)!;
        progress.update(last);
        if (!output.interactive) for (const line of lines) output.err(`    ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error: NodeJS.ErrnoException) =>
      fail(new CliError(error.code === 'ENOENT' ? `cannot run \`${step.command}\`: not found on PATH (is it installed?)` : `cannot run \`${step.command}\`: ${error.message}`, 1)),
    );
    child.on('close', (code) => done({ code, last }));
  });
}

export function registerInstallCommand(program: Command, output: Output): void {
  program
    .command('install')
    .description('print (or, with --run, execute) the recipe for a Python environment (3.12 or 3.10) with TensorRT-LLM 1.2.1 and this driver\'s runtime')
    .argument('[path]', 'where to create the environment (default: $PIE_HOME/venvs/tensorrt_llm)')
    .option('--python <version|path>', 'the Python to build it with: 3.12 or 3.10 (found on PATH or under pyenv), or an interpreter\'s path (default: 3.12, else 3.10)')
    .option('--torch-index <url>', `an extra package index for torch, e.g. ${TORCH_CUDA_INDEX} for the CUDA build TensorRT-LLM 1.2.1 pins`)
    .option('--run', 'execute the recipe, with progress')
    .action(async (path: string | undefined, options: { run?: boolean; python?: string; torchIndex?: string }) => {
      const venv = resolve(path ?? join(pieHome(), 'venvs', 'tensorrt_llm'));
      const recipe = installRecipe(venv, { python: options.python, torchIndex: options.torchIndex });
      const { steps } = recipe;
      if (recipe.problem && (options.run || steps.length === 0)) throw new CliError(recipe.problem, 2);
      if (!options.run) {
        const python = recipe.python ? `Python ${recipe.python.version} (${recipe.python.command})` : `Python ${options.python ?? '3.12'}${recipe.tool === 'uv' ? ', found or fetched by uv' : ''}`;
        output.out(`# Recipe for the tensorrt_llm driver (TensorRT-LLM 1.2.1, ${python}):`);
        if (recipe.problem) output.out(`# ! ${recipe.problem}`);
        output.out(`# ${MPI_NOTE}`);
        if (!options.torchIndex) output.out(`# For torch's CUDA build add --torch-index ${TORCH_CUDA_INDEX}`);
        for (const step of steps) output.out(shellLine(step));
        output.out('');
        output.out('Run with `--run` to execute these. To register the venv as the default for this driver:');
        output.text(`  pie-trtllm set venv ${shellQuote(venv)}`);
        return;
      }
      const progress = new Progress(output);
      for (const [i, step] of steps.entries()) {
        output.err(`$ ${shellLine(step)}`);
        progress.start(`[${i + 1}/${steps.length}] ${step.title}`);
        let result;
        try {
          result = await runStep(step, progress, output);
        } catch (error) {
          progress.finish(false);
          throw error;
        }
        if (result.code !== 0) {
          progress.finish(false, `exited with code ${result.code}`);
          throw new CliError(`step ${i + 1}/${steps.length} (${step.title}) failed: \`${shellLine(step)}\` exited with code ${result.code}${result.last ? `: ${result.last}` : ''}`, 1);
        }
        progress.finish(true);
      }
      output.text(`✓ Installed into ${venv}. Register it as the default for this driver with:`);
      output.text(`  pie-trtllm set venv ${shellQuote(venv)}`);
      output.out('then check everything with: pie-trtllm doctor');
      output.out(MPI_NOTE);
    });
}
