import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { batchOf, GREEDY, waitFor } from '../helpers/driver-fixture.js';
import { repoRoot } from '../helpers/package-paths.js';
import { fencedAfter } from '../helpers/operator-docs.js';
import { freePort, prometheusTool } from '../helpers/prometheus-tools.js';
import { ServeSession } from '../helpers/serve-session.js';

const example = join(repoRoot, 'examples', 'pie.toml');

/** An instant query's status and error, whatever its result. */
async function queryStatus(api: string, promql: string): Promise<{ status: string; error?: string }> {
  const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const { status, error } = (await response.json()) as { status: string; error?: string };
  return error === undefined ? { status } : { status, error };
}

/** One value of an instant query through Prometheus' HTTP API, or undefined while it has none. */
async function query(api: string, promql: string): Promise<number | undefined> {
  const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`).catch(() => undefined);
  if (!response?.ok) return undefined;
  const body = (await response.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  const first = body.data.result[0];
  return body.status === 'success' && first ? Number(first.value[1]) : undefined;
}

// A real Prometheus server on loopback scrapes `serve` while a decode loop runs (npm run test:long).
describe('a real Prometheus scrapes serve --metrics-port', function () {
  this.timeout(120_000);
  let prometheus: ChildProcess | undefined;
  let serve: ServeSession | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    prometheus?.kill('SIGKILL');
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns the decode loop\'s series through its query API', async () => {
    const binary = prometheusTool('prometheus');
    const [metricsPort, apiPort] = [await freePort(), await freePort()];
    serve = new ServeSession(['--config', example, '--simulate', '--metrics-port', String(metricsPort)]);
    await waitFor(() => serve!.stderr.includes(`metrics at http://127.0.0.1:${metricsPort}/metrics`) || undefined, 30_000, 'serve to announce its metrics endpoint');
    dir = mkdtempSync(join(tmpdir(), 'pie-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: pie-trtllm\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`);
    let log = '';
    prometheus = spawn(binary, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${apiPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (log += d));
    prometheus.stderr!.on('data', (d) => (log += d));
    const api = `http://127.0.0.1:${apiPort}`;
    await waitFor(() => query(api, 'up{job="pie-trtllm"}').then((v) => (v === 1 ? v : undefined)), 60_000, `Prometheus' first scrape (its log: ${log.slice(-500)})`);
    // The decode loop runs for about 4 s while Prometheus scrapes every second.
    const steps = 160;
    let input = [1, 2, 3];
    let position = 0;
    for (let step = 0; step < steps; step++) {
      const reply = await serve.call({ id: step, op: 'forward', batch: batchOf([[1, input, position, GREEDY]]) });
      position += input.length;
      input = [reply.results[0].tokens[0]];
      await new Promise((r) => setTimeout(r, 25));
    }
    const scraped = await waitFor(() => query(api, 'pie_driver_requests_total{job="pie-trtllm"}').then((v) => (v === steps ? v : undefined)), 60_000, `Prometheus to hold all ${steps} requests (its log: ${log.slice(-500)})`);
    expect(scraped).to.equal(steps);
    expect(await query(api, 'up{job="pie-trtllm"}')).to.equal(1);
    expect(await query(api, 'pie_driver_tokens_total{gen_ai_token_type="output"}')).to.equal(steps);
    expect(await query(api, 'gen_ai_server_time_to_first_token_count')).to.equal(1);
    expect(await query(api, 'pie_driver_replicas{pie_driver_replica_state="ready"}')).to.equal(1);
    // A rate and a quantile, as a dashboard would ask (the loop spanned several scrapes).
    const rate = 'sum(rate(pie_driver_requests_total[1m]))';
    const p90 = 'histogram_quantile(0.9, sum by (le) (rate(pie_driver_step_duration_bucket[1m])))';
    expect(await query(api, rate)).to.be.above(0);
    expect(await query(api, p90)).to.be.above(0).and.at.most(10);
    // Every query docs/operators.md shows is one Prometheus evaluates.
    const shown = fencedAfter('What to watch, in PromQL', 'promql').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(shown).to.have.length.above(5);
    for (const promql of shown) expect(await queryStatus(api, promql), promql).to.deep.equal({ status: 'success' });
    await serve.call({ id: 'end', op: 'shutdown' });
    expect(await serve.exited).to.equal(0);
  });
});
