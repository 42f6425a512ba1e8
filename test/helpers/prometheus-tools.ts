import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The path of a Prometheus tool, or an error naming it and how to install it. */
export function prometheusTool(name: 'promtool' | 'prometheus'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: the metrics tests check against the real one (apt-get install prometheus; .ci/run does)`);
  return found;
}

/** `promtool check metrics` over an exposition: its exit code and what it printed. */
export function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  const promtool = prometheusTool('promtool');
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

/** The sample of `metric` whose labels include `labels` (a label given as '' must be absent, as in
 *  Prometheus), from Prometheus' text format. */
export function sampleValue(exposition: string, metric: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => (found[k] ?? '') === v)) return Number(match[2]);
  }
  return undefined;
}
