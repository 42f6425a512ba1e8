import type { Command } from 'commander';
import { discoverPlugins } from '../../plugin/discovery.js';
import { createHost } from '../local-host.js';
import { type Output, printJson } from '../output.js';

export function registerListCommand(program: Command, output: Output): void {
  program
    .command('list')
    .description("list the driver plugins discovered from the current directory's package (its dependencies, and itself), with types and aliases, and the ones skipped with why")
    .option('--json', 'print a JSON report')
    .option('--dir <dir>', 'the host package folder', process.cwd())
    .action(async (options: { json?: boolean; dir: string }) => {
      const { container } = createHost([]);
      const report = await discoverPlugins({ hostDir: options.dir, container });
      if (options.json) printJson(output, report);
      else {
        if (report.loaded.length === 0) output.text('no driver plugins found');
        for (const p of report.loaded) {
          for (const d of p.drivers) output.text(`✓ ${d.type}${d.aliases.length ? ` (aliases: ${d.aliases.join(', ')})` : ''}  from ${p.package}@${p.version}`);
        }
        for (const s of report.skipped) output.text(`! skipped ${s.package}: ${s.reason}`);
        for (const c of report.conflicts) output.text(`✗ conflict ${c.package}: ${c.reason}`);
        // A host runs with its dependencies; a plugin kept in devDependencies would not be there.
        output.err('(searched: the dependencies and optionalDependencies of the package in ' + options.dir + ', and the package itself; devDependencies are not searched)');
      }
      if (report.conflicts.length > 0) process.exitCode = 1;
    });
}
