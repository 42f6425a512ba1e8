import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MemoryLogger } from '../../src/runtime/logger.js';
import { type LaunchSpec, ProcessRuntimeLauncher } from '../../src/runtime/runtime-launcher.js';
import type { RuntimeError } from '../../src/runtime/runtime-errors.js';
import { type ProbeError, probeInterpreter } from '../../src/runtime/runtime-probe.js';
import { repoRoot } from '../helpers/package-paths.js';
import { processState } from '../helpers/process-state.js';

const root = mkdtempSync(join(tmpdir(), 'pie-launcher-'));
let scripts = 0;

/** An interpreter stand-in: a shell script that plays the runtime's side of the start-up. */
function fakePython(body: string): string {
  const dir = join(root, `venv-${++scripts}`, 'bin');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'python');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const CAPS = '{"capabilities":{"vocab_size":100,"max_forward_tokens":64},"engine":{"name":"fake","version":"9"}}';

function spec(python: string, overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    interpreter: { python, source: 'test' },
    model: { name: 'm', hf_repo: 'org/model' },
    driver: { type: 'tensorrt_llm', options: { venv: '/v', python: '/p', max_batch_size: 4 } } as never,
    device: 'cuda:7',
    simulate: false,
    readyTimeoutMs: 10_000,
    env: { PYTHONPATH: '/operator/site', LD_LIBRARY_PATH: '/usr/local/lib' },
    ...overrides,
  };
}

/** Whether a process has ended (gone, or a zombie waiting to be reaped). */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const state = processState(pid);
    if (state === undefined || state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const failureOf = (promise: Promise<unknown>) => promise.then(() => 'started', (e: RuntimeError) => `${e.code}: ${e.message}`);

describe('ProcessRuntimeLauncher with stand-in interpreters', function () {
  this.timeout(20_000);

  it('starts `python -m pie_trtllm_runtime` in the runtime folder, its environment and launch file set, and resolves on ready', async () => {
    const record = join(root, 'record.json');
    const python = fakePython(`
cfg=$4
printf '{"args":"%s","cwd":"%s","pythonpath":"%s","unbuffered":"%s","path":"%s","ld":"%s","config":%s}' "$*" "$(pwd)" "$PYTHONPATH" "$PYTHONUNBUFFERED" "$PATH" "$LD_LIBRARY_PATH" "$(cat "$cfg")" > ${record}
echo 'loading weights'
echo
echo 'a warning' >&2
echo '${CAPS}' >&3
echo '{"ready":true}' >&3
exec sleep 30`);
    const local = join(root, 'snapshot');
    mkdirSync(local);
    const logger = new MemoryLogger();
    const previous = process.cwd();
    process.chdir(root);
    let launched;
    try {
      launched = await new ProcessRuntimeLauncher(logger).launch(spec(python, { model: { name: 'm', hf_repo: 'snapshot' }, simulate: true }));
    } finally {
      process.chdir(previous);
    }
    try {
      expect(launched.capabilities).to.deep.equal({ vocab_size: 100, max_forward_tokens: 64 });
      expect(launched.engine).to.deep.equal({ name: 'fake', version: '9' });
      const seen = JSON.parse(readFileSync(record, 'utf8'));
      const configPath = seen.config && seen.args.split(' ')[3];
      expect(seen.args).to.equal(`-m pie_trtllm_runtime --config ${configPath} --remove-config --handshake-fd 3 --request-fd 4 --response-fd 5 --simulate`);
      expect(existsSync(configPath), 'the launch file is removed once the runtime is up').to.equal(false);
      expect(seen.cwd).to.equal(join(repoRoot, 'python'));
      expect(seen.pythonpath).to.equal(`${join(repoRoot, 'python')}:/operator/site`);
      expect(seen.unbuffered).to.equal('1');
      expect(seen.path.split(':')[0]).to.equal(join(root, `venv-${scripts}`, 'bin'));
      expect(seen.ld).to.equal('/usr/local/lib');
      // venv and python choose the interpreter; the runtime gets the other options. A folder named
      // relative to the host's working directory is made absolute (the runtime runs elsewhere).
      expect(seen.config).to.deep.equal({ model: { name: 'm', hf_repo: local }, driver: { type: 'tensorrt_llm', options: { max_batch_size: 4 } }, device: 'cuda:7', simulate: true });
      await new Promise((r) => setTimeout(r, 100));
      expect(logger.lines).to.include.members(['runtime cuda:7: loading weights', 'runtime cuda:7: a warning']);
      expect(logger.lines.filter((l) => l === 'runtime cuda:7: ')).to.deep.equal([]);
    } finally {
      process.kill(-launched.pid, 'SIGKILL');
    }
  });

  it('fails the start, starting nothing, when the launch config cannot be encoded or written', async () => {
    const record = join(root, 'never-started.txt');
    const python = fakePython(`echo started > ${record}; exec sleep 30`);
    const unencodable = spec(python, { driver: { type: 'tensorrt_llm', options: { max_batch_size: 10n } } as never });
    expect(await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(unencodable)))
      .to.equal('RUNTIME_START_FAILED: the driver config cannot be sent to the runtime: Do not know how to serialize a BigInt');
    const saved = process.env.TMPDIR;
    const missing = join(root, 'no-such-folder');
    process.env.TMPDIR = missing;
    try {
      expect(await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(python))))
        .to.match(new RegExp(`^RUNTIME_START_FAILED: cannot write the launch config in ${missing}: ENOENT: .* \\(set TMPDIR to a writable folder\\)$`));
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(existsSync(record), 'the interpreter never ran').to.equal(false);
  });

  it('keeps a hub id as written, and passes no --simulate for a real run', async () => {
    const record = join(root, 'hub.txt');
    const python = fakePython(`echo "$*" > ${record}; stat -c '%a' "$(dirname "$4")" "$4" | tr '\\n' ' ' >> ${record}; echo >> ${record}; cat "$4" >> ${record}; echo '${CAPS}' >&3; echo '{"ready":true}' >&3; exec sleep 30`);
    const launched = await new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(python));
    process.kill(-launched.pid, 'SIGKILL');
    const [args, modes, config] = readFileSync(record, 'utf8').split('\n');
    expect(args!.endsWith('--response-fd 5')).to.equal(true);
    expect(modes!.trim(), 'the launch folder and file are the owner\'s alone').to.equal('700 600');
    expect(JSON.parse(config!).model).to.deep.equal({ name: 'm', hf_repo: 'org/model' });
  });

  it('fails the start with the runtime\'s own reason, its last output, and no process left', async () => {
    const pids: number[] = [];
    const launch = async (body: string) => {
      const pidFile = join(root, `failed-${scripts + 1}.pid`);
      const outcome = await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(fakePython(`echo $$ > ${pidFile}\n${body}`))));
      pids.push(Number(readFileSync(pidFile, 'utf8')));
      return outcome;
    };
    expect(await launch(`echo 'ImportError: no tensorrt_llm' >&2; echo '{"error":{"code":"ENGINE_IMPORT_FAILED","message":"tensorrt_llm did not import"}}' >&3; exec sleep 30`))
      .to.equal('RUNTIME_START_FAILED: runtime on cuda:7 could not start: ENGINE_IMPORT_FAILED: tensorrt_llm did not import\n--- last runtime output ---\nImportError: no tensorrt_llm');
    // The runtime logs its own error too: the tail keeps every other line, in order, and no blank end.
    expect(await launch(`printf 'ImportError: no tensorrt_llm\\nhint: set LD_LIBRARY_PATH\\n\\nerror: tensorrt_llm did not import\\n' >&2; sleep 0.2; echo '{"error":{"code":"ENGINE_IMPORT_FAILED","message":"tensorrt_llm did not import"}}' >&3; exec sleep 30`))
      .to.equal('RUNTIME_START_FAILED: runtime on cuda:7 could not start: ENGINE_IMPORT_FAILED: tensorrt_llm did not import\n--- last runtime output ---\nImportError: no tensorrt_llm\nhint: set LD_LIBRARY_PATH');
    expect(await launch(`echo 'Segmentation fault?' >&3; exec sleep 30`)).to.equal('RUNTIME_START_FAILED: runtime on cuda:7 wrote a handshake line that is not JSON: Segmentation fault?');
    expect(await launch(`echo '{"ready":true}' >&3; exec sleep 30`)).to.equal('RUNTIME_START_FAILED: runtime on cuda:7 said ready before reporting capabilities');
    expect(await launch(`echo 'Traceback: boom'; exit 3`)).to.equal('RUNTIME_EXITED: runtime on cuda:7 exited (code 3) before it was ready\n--- last runtime output ---\nTraceback: boom');
    expect(await launch(`echo '${CAPS}' >&3; kill -9 $$`)).to.equal('RUNTIME_EXITED: runtime on cuda:7 exited (SIGKILL) before it was ready');
    for (const pid of pids) expect(await ended(pid), `runtime ${pid} left running`).to.equal(true);
  });

  it('gives up on a runtime that never says ready, killing its whole group', async () => {
    const pidFile = join(root, 'slow.pid');
    const python = fakePython(`sleep 30 & echo $! > ${pidFile}; echo 'still loading'; wait`);
    const outcome = await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(python, { readyTimeoutMs: 1000 })));
    expect(outcome).to.equal('HANDSHAKE_TIMEOUT: runtime on cuda:7 did not become ready within 1000 ms (for a large model raise it: --ready-timeout SECONDS or PIE_TRTLLM_READY_TIMEOUT_S on the command line, readyTimeoutMs in create())\n--- last runtime output ---\nstill loading');
    expect(await ended(Number(readFileSync(pidFile, 'utf8'))), 'the runtime\'s own child was killed with it').to.equal(true);
  });

  it('names the engine "unknown" when the handshake does not, and cuts a long non-JSON handshake line at 200 characters', async () => {
    const python = fakePython(`echo '{"capabilities":{"vocab_size":1}}' >&3; echo '{"ready":true}' >&3; exec sleep 30`);
    const launched = await new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(python));
    process.kill(-launched.pid, 'SIGKILL');
    expect(launched.engine).to.deep.equal({ name: 'unknown', version: 'unknown' });
    const noisy = fakePython(`printf 'x%.0s' $(seq 1 300) >&3; echo >&3; exec sleep 30`);
    expect(await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(noisy)))).to.equal(`RUNTIME_START_FAILED: runtime on cuda:7 wrote a handshake line that is not JSON: ${'x'.repeat(200)}`);
  });

  it('logs the last redraw of a progress bar drawn with carriage returns, cuts a line past 64 KiB, and refuses a handshake line past 1 MiB', async () => {
    const logger = new MemoryLogger();
    // 20,000 redraws of a 1 kB bar (20 MB without a newline), then a 70 kB line, then ready.
    const python = fakePython(`python3 -c "
import sys
for i in range(20000): sys.stdout.write('#' * 1000 + ' %d%%\\r' % (i // 200))
sys.stdout.write('\\n' + 'y' * 70000 + '\\n')
sys.stdout.flush()
"
echo '${CAPS}' >&3; echo '{"ready":true}' >&3; exec sleep 30`);
    const launched = await new ProcessRuntimeLauncher(logger).launch(spec(python));
    process.kill(-launched.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(logger.lines).to.deep.equal([`runtime cuda:7: ${'#'.repeat(1000)} 99%`, 'runtime cuda:7: (a line of 70000 bytes, above the 65536-byte limit, not shown)']);
    expect(launched.output.retainedBytes).to.be.at.most(2 * 8192);
    const flooding = fakePython(`python3 -c "import sys; sys.stdout.write('x' * (1024 * 1024 + 1))" >&3; echo >&3; exec sleep 30`);
    expect(await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(flooding)))).to.equal(`RUNTIME_START_FAILED: runtime on cuda:7 wrote a handshake line of ${1024 * 1024 + 1} bytes, above the 1048576-byte limit`);
    const atLimit = fakePython(`python3 -c "import sys; sys.stdout.write(' ' * (1024 * 1024 - len(sys.argv[1])) + sys.argv[1])" '${CAPS}' >&3; echo >&3; echo '{"ready":true}' >&3; exec sleep 30`);
    const padded = await new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(atLimit));
    process.kill(-padded.pid, 'SIGKILL');
    expect(padded.engine, 'a handshake line of exactly 1 MiB is read').to.deep.equal({ name: 'fake', version: '9' });
  });

  it('logs each line of runtime output as written, skipping lines that are only spaces and tabs', async () => {
    const logger = new MemoryLogger();
    const python = fakePython(`printf 'first\\n   \\n\\t\\n\\n  indented\\n' >&2; sleep 0.1; echo '${CAPS}' >&3; echo '{"ready":true}' >&3; exec sleep 30`);
    const launched = await new ProcessRuntimeLauncher(logger).launch(spec(python));
    process.kill(-launched.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(logger.lines).to.deep.equal(['runtime cuda:7: first', 'runtime cuda:7:   indented']);
  });

  it('says which interpreter could not be started and where to look', async () => {
    const missing = join(root, 'nowhere', 'python');
    expect(await failureOf(new ProcessRuntimeLauncher(new MemoryLogger()).launch(spec(missing)))).to.equal(`RUNTIME_START_FAILED: cannot start ${missing}: spawn ${missing} ENOENT (run \`pie-trtllm doctor\`)`);
  });
});

describe('probeInterpreter with stand-in interpreters', function () {
  this.timeout(20_000);

  it('reads the last stdout line as the report, asking for Ray only when told, from the runtime folder', async () => {
    const python = fakePython(`echo "probing $*"; printf '{"python":{"version":"3.11.9","executable":"%s","prefix":"%s"}}\\n' "$PWD" "$PYTHONPATH"`);
    const plain = await probeInterpreter(python, 10_000, { PATH: process.env.PATH, PYTHONPATH: '/op' });
    expect(plain.python).to.deep.equal({ version: '3.11.9', executable: join(repoRoot, 'python'), prefix: `${join(repoRoot, 'python')}:/op` });
    const args = fakePython(`printf '{"python":{"version":"%s"}}\\n' "$*"`);
    expect((await probeInterpreter(args, 10_000, process.env)).python.version).to.equal('-m pie_trtllm_runtime --probe');
    expect((await probeInterpreter(args, 10_000, process.env, true)).python.version).to.equal('-m pie_trtllm_runtime --probe --probe-ray');
  });

  it('fails with the interpreter, how it ended and its last two lines of output', async () => {
    const failure = (python: string, timeoutMs = 10_000) => probeInterpreter(python, timeoutMs).then(() => 'ok', (e: ProbeError) => `${e.code}: ${e.message}`);
    const lying = fakePython(`echo '{"python":{"version":"3.11"}}'; exit 3`);
    expect(await failure(lying), 'a report from a probe that failed is not taken').to.equal(`PROBE_FAILED: ${lying} -m pie_trtllm_runtime --probe exited with 3: {"python":{"version":"3.11"}}`);
    const crashed = fakePython(`echo one >&2; echo two >&2; echo three >&2; exit 4`);
    expect(await failure(crashed)).to.equal(`PROBE_FAILED: ${crashed} -m pie_trtllm_runtime --probe exited with 4: two | three`);
    const indented = fakePython(`printf 'Traceback:\\n  File "x.py", line 1\\n    ImportError: foo  \\n\\n' >&2; exit 4`);
    expect(await failure(indented), 'lines trimmed, blank ones skipped').to.equal(`PROBE_FAILED: ${indented} -m pie_trtllm_runtime --probe exited with 4: File "x.py", line 1 | ImportError: foo`);
    const chatty = fakePython(`echo 'not json'`);
    expect(await failure(chatty)).to.equal(`PROBE_FAILED: ${chatty} -m pie_trtllm_runtime --probe printed no JSON: not json`);
    const silent = fakePython('exit 0');
    expect(await failure(silent)).to.equal(`PROBE_FAILED: ${silent} -m pie_trtllm_runtime --probe printed no JSON: no output`);
    // A pyenv shim for a version that is not selected: its error line, not its closing advice.
    const shim = fakePython(`cat >&2 <<'EOT'
pyenv: python3.12: command not found

The \`python3.12' command exists in these Python versions:
  3.12.1

Note: See 'pyenv help global' for tips on allowing both
      python2 and python3 to be found.
EOT
exit 127`);
    expect(await failure(shim)).to.equal(`PROBE_FAILED: ${shim} -m pie_trtllm_runtime --probe exited with 127: pyenv: python3.12: command not found (installed in another pyenv version; \`pyenv versions\` lists them)`);
    const bare = fakePython(`echo 'pyenv: python3.13: command not found' >&2; exit 127`);
    expect(await failure(bare), 'a shim with no list of versions').to.equal(`PROBE_FAILED: ${bare} -m pie_trtllm_runtime --probe exited with 127: pyenv: python3.13: command not found`);
    const slow = fakePython('exec sleep 30');
    expect(await failure(slow, 300)).to.equal(`PROBE_FAILED: ${slow} -m pie_trtllm_runtime --probe timed out after 0.3 s: no output`);
  });
});
