import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { tcpPort } from '../../src/cli/argument-parsers.js';
import { batchOf, GREEDY, waitFor } from '../helpers/driver-fixture.js';
import { repoRoot } from '../helpers/package-paths.js';
import { freePort, promtoolCheck, sampleValue } from '../helpers/prometheus-tools.js';
import { runCli } from '../helpers/run-cli.js';
import { ServeSession } from '../helpers/serve-session.js';

const example = join(repoRoot, 'examples', 'pie.toml');

async function scrape(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('cli: serve --metrics-port', function () {
  this.timeout(60_000);

  it('serves Prometheus text that promtool accepts, with the requests it answered, and closes the port when it stops', async () => {
    const port = await freePort();
    const serve = new ServeSession(['--config', example, '--simulate', '--metrics-port', String(port)]);
    const url = `http://127.0.0.1:${port}/metrics`;
    await waitFor(() => serve.stderr.includes(`metrics at ${url}`) || undefined, 30_000, 'serve to announce its metrics endpoint');
    let input = [1, 2, 3];
    let position = 0;
    for (let step = 0; step < 3; step++) {
      const reply = await serve.call({ id: step, op: 'forward', batch: batchOf([[4, input, position, GREEDY]]) });
      position += input.length;
      input = [reply.results[0].tokens[0]];
    }
    expect((await serve.call({ id: 9, op: 'forward', batch: batchOf([[5, [1], 3, GREEDY]]) })).results[0].error.code).to.equal('MISSING_REPLAY_PREFIX');
    const page = await scrape(url);
    expect(page.status).to.equal(200);
    expect(page.type).to.match(/^text\/plain/);
    const check = await promtoolCheck(page.text);
    expect(check, check.output).to.deep.equal({ code: 0, output: '' });
    expect(sampleValue(page.text, 'pie_driver_requests_total', { pie_model: 'qwen3-0.6b', error_type: '' })).to.equal(3);
    expect(sampleValue(page.text, 'pie_driver_requests_total', { error_type: 'MISSING_REPLAY_PREFIX' })).to.equal(1);
    expect(sampleValue(page.text, 'pie_driver_tokens_total', { gen_ai_token_type: 'output' })).to.equal(3);
    expect(sampleValue(page.text, 'gen_ai_server_time_to_first_token_count')).to.equal(1);
    expect(sampleValue(page.text, 'pie_driver_replicas', { pie_driver_replica_state: 'ready' })).to.equal(1);
    expect(sampleValue(page.text, 'pie_driver_engine_requests_total', { pie_driver_replica: 'cuda:0' })).to.equal(1);
    expect((await scrape(`http://127.0.0.1:${port}/other`)).status).to.equal(404);
    await serve.call({ id: 10, op: 'shutdown' });
    expect(await serve.exited).to.equal(0);
    let refused = false;
    await fetch(url).catch(() => (refused = true));
    expect(refused, 'the metrics port is closed once serve has stopped').to.equal(true);
  });

  it('fails at once, before loading the model, when the port is taken', async () => {
    const holder: Server = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      const run = await runCli(['serve', '--stdio', '--config', example, '--simulate', '--metrics-port', String(port)]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.include(`cannot serve metrics at http://127.0.0.1:${port}/metrics`);
      expect(run.stderr).to.include('another process listens there; choose another --metrics-port');
      expect(run.stderr).not.to.include('serving');
    } finally {
      holder.close();
    }
  });

  it('refuses a port outside 1..65535, and --metrics-host without --metrics-port', async () => {
    for (const bad of ['0', '65536', '-1', '1.5', 'abc', ' ']) {
      const run = await runCli(['serve', '--stdio', '--config', example, '--simulate', '--metrics-port', bad]);
      expect(run.code, bad).to.equal(2);
      expect(run.stderr).to.include(`--metrics-port must be a TCP port from 1 to 65535, found ${JSON.stringify(bad)}`);
    }
    const hostOnly = await runCli(['serve', '--stdio', '--config', example, '--simulate', '--metrics-host', '0.0.0.0']);
    expect(hostOnly.code).to.equal(2);
    expect(hostOnly.stderr).to.include('--metrics-host needs --metrics-port');
    for (const empty of ['', '  ']) {
      const run = await runCli(['serve', '--stdio', '--config', example, '--simulate', '--metrics-port', '9', '--metrics-host', empty]);
      expect(run.code, JSON.stringify(empty)).to.equal(2);
      expect(run.stderr).to.include(`--metrics-host is empty (${JSON.stringify(empty)}), which would listen on every interface; name the address to listen on`);
      expect(run.stderr).not.to.include('serving');
    }
  });

  it('takes the ports at both ends of the range', () => {
    expect(tcpPort('--metrics-port', '1')).to.equal(1);
    expect(tcpPort('--metrics-port', '65535')).to.equal(65535);
    expect(() => tcpPort('--metrics-port', '65536')).to.throw('found "65536"');
    expect(() => tcpPort('--metrics-port', '0')).to.throw('found "0"');
  });
});
