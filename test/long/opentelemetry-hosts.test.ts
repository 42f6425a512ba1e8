import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';
import { freePort } from '../helpers/prometheus-tools.js';
import { ServeSession } from '../helpers/serve-session.js';
import { batchOf, GREEDY, waitFor } from '../helpers/driver-fixture.js';

const run = promisify(execFile);

// Hosts that bring their own OpenTelemetry SDK, the current major (3, with API 1.10) and the one
// before (2, with API 1.9): each installs beside this package without a resolution error, and the
// package's own endpoint and figures work from its one SDK, the exporter's.
for (const [major, sdk, api] of [['3', '^3.1.1', '~1.10.0'], ['2', '^2.12.0', '~1.9.0']] as const) {
  describe(`a host with OpenTelemetry SDK ${major} of its own`, function () {
    this.timeout(300_000);
    let host: string;

    before(async () => {
      host = mkdtempSync(join(tmpdir(), `pie-otel-host-${major}-`));
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', host], { cwd: repoRoot });
      const tarball = join(host, stdout.trim().split('\n').pop()!);
      writeFileSync(join(host, 'package.json'), JSON.stringify({
        name: `otel-host-${major}`, version: '1.0.0', private: true, type: 'module',
        dependencies: { 'pie-driver-tensorrt-llm': `file:${tarball}`, tsyringe: '^4.10.0', 'reflect-metadata': '^0.2.2', '@opentelemetry/sdk-metrics': sdk, '@opentelemetry/api': api },
      }));
      // npm fails the install (ERESOLVE) when a peer range cannot be met.
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: host });
    });

    after(() => rmSync(host, { recursive: true, force: true }));

    it('serves metrics at serve --metrics-port and reports figures with generate --json, from the installed package', async () => {
      const root = join(host, 'node_modules', 'pie-driver-tensorrt-llm');
      const cli = join(root, 'dist', 'src', 'cli', 'main.js');
      const generated = await run(process.execPath, [cli, 'generate', '--config', join(root, 'examples', 'pie.toml'), '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '3', '--json'], { cwd: host });
      const figures = JSON.parse(generated.stdout).metrics as { name: string }[];
      expect(figures.map((f) => f.name)).to.include('pie.driver.requests');
      const port = await freePort();
      const serve = new ServeSession(['--config', join(root, 'examples', 'pie.toml'), '--simulate', '--metrics-port', String(port)], {}, cli);
      try {
        await serve.call({ id: 1, op: 'forward', batch: batchOf([[1, [1, 2], 0, GREEDY]]) });
        const text = await waitFor(async () => {
          const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return body.includes('pie_driver_requests_total') ? body : undefined;
        }, 15_000, 'the scrape to show the request');
        expect(text).to.match(/pie_driver_requests_total\{[^}]*pie_model="qwen3-0\.6b"[^}]*\} 1/);
      } finally {
        await serve.call({ id: 2, op: 'shutdown' }).catch(() => undefined);
        await serve.exited;
      }
    });
  });
}
