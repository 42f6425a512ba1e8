import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';

const run = promisify(execFile);

// Modules only validating a table or starting a driver needs; registering must not load them.
const HEAVY = ['config/driver-validator.js', 'config/generated/driver-validate.js', 'config/toml-document.js', 'driver/driver-container.js', 'runtime/runtime-supervisor.js', 'runtime/replica-pool.js'];

describe('plugin registration cost', () => {
  it('a cold host that imports and registers the plugin loads neither the validator, the TOML parser nor the runtime, until a table is validated', async () => {
    // Inside the package, so the host resolves reflect-metadata and tsyringe as an installed host would.
    const dir = mkdtempSync(join(repoRoot, 'dist', 'lazy-host-'));
    const log = join(dir, 'resolved.txt');
    // A resolve hook (it runs on its own thread) writes down every module the host imports.
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');\n  return result;\n}\n`);
    writeFileSync(join(dir, 'register-hooks.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const plugin = pathToFileURL(join(repoRoot, 'dist', 'src', 'plugin', 'plugin.js')).href;
    const registry = pathToFileURL(join(repoRoot, 'dist', 'src', 'plugin', 'reference-registry.js')).href;
    const api = pathToFileURL(join(repoRoot, 'dist', 'src', 'plugin', 'api-version.js')).href;
    writeFileSync(
      join(dir, 'host.mjs'),
      [
        `import { createRequire } from 'node:module';`,
        `import 'reflect-metadata';`,
        `import { container } from 'tsyringe';`,
        `const require = createRequire(${JSON.stringify(join(repoRoot, 'package.json'))});`,
        `const { ReferenceDriverRegistry } = await import(${JSON.stringify(registry)});`,
        `const { DRIVER_REGISTRY } = await import(${JSON.stringify(api)});`,
        `const registry = new ReferenceDriverRegistry();`,
        `container.register(DRIVER_REGISTRY, { useValue: registry });`,
        `(await import(${JSON.stringify(plugin)})).default.register(container);`,
        `const descriptor = registry.resolve('trtllm');`,
        `const cjs = () => Object.keys(require.cache).some((path) => path.includes('toml-eslint-parser'));`,
        `const before = { toml: cjs() };`,
        `const verdict = descriptor.validate({ type: 'trtllm', device: 'cuda:0', options: { lookahead_tokens: 8 } });`,
        `const bad = descriptor.validate({ type: 'trtllm', device: 'cuda:0', options: { lookahead_tokens: 'many' } });`,
        `console.log(JSON.stringify({ before, ok: verdict.ok, badOk: bad.ok, schemaTitle: typeof descriptor.schema.properties }));`,
      ].join('\n'),
    );
    let stdout: string, resolved: string[];
    try {
      ({ stdout } = await run(process.execPath, ['--import', pathToFileURL(join(dir, 'register-hooks.mjs')).href, join(dir, 'host.mjs')], { cwd: repoRoot }));
      resolved = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The hook saw the plugin itself, so it was watching.
    expect(resolved.some((url) => url.endsWith('/dist/src/plugin/plugin.js'))).to.equal(true);
    for (const heavy of HEAVY) expect(resolved.filter((url) => url.endsWith(`/dist/src/${heavy}`)), heavy).to.deep.equal([]);
    expect(resolved.filter((url) => /toml-eslint-parser|fastest-levenshtein/.test(url))).to.deep.equal([]);
    // After registration the descriptor still validates, loading what it needs then.
    expect(JSON.parse(stdout)).to.deep.equal({ before: { toml: false }, ok: true, badOk: false, schemaTitle: 'object' });
  });
});
