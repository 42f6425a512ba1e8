import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Capabilities } from '../capabilities/forward-types.js';
import type { ResolvedDriverConfig } from '../config/resolved-config.js';
import type { ResolvedInterpreter } from './interpreter-resolver.js';
import { libraryPathWith, wheelLibraryDirs } from './library-path.js';
import type { Logger } from './logger.js';
import { LineSplitter, type LineSplitterOptions, type SplitLine } from './line-splitter.js';
import { OutputTail } from './output-tail.js';
import { RUNTIME_DIR, runtimePythonPath } from './runtime-directory.js';
import { OwnedGroup } from './owned-group.js';
import { killRuntimeTree, trackGroup } from './process-group.js';
import { RuntimeError } from './runtime-errors.js';
import { streamsEnded } from './streams-ended.js';

export interface LaunchSpec {
  interpreter: ResolvedInterpreter;
  model: { name: string; hf_repo: string };
  driver: ResolvedDriverConfig;
  device: string;
  simulate: boolean;
  readyTimeoutMs: number;
  /** Extra environment for the runtime (tests use it to inject faults into the simulated engine). */
  env?: NodeJS.ProcessEnv;
}

/** A runtime process that completed its handshake. */
export interface LaunchedRuntime {
  child: ChildProcess;
  pid: number;
  capabilities: Capabilities;
  engine: { name: string; version: string };
  requests: Writable;
  replies: Readable;
  output: OutputTail;
}

/** Starts runtimes; an interface so tests can put a fake launcher in the container. */
export interface RuntimeLauncher {
  /** Resolves once the runtime is ready. Aborting `signal` ends the launch at any moment: the
   *  runtime's group is killed and gone, and its launch folder removed, before it rejects. */
  launch(spec: LaunchSpec, signal?: AbortSignal): Promise<LaunchedRuntime>;
}

const HANDSHAKE_FD = 3;
const REQUEST_FD = 4;
const RESPONSE_FD = 5;

/** A local snapshot folder named relative to the host's working directory, made absolute, since
 *  the runtime runs in its own folder. A hub id (`owner/name`) that names no folder stays as it is. */
function hostRelative(hfRepo: string): string {
  return !isAbsolute(hfRepo) && existsSync(resolve(hfRepo)) ? resolve(hfRepo) : hfRepo;
}

/** The most bytes of one line of runtime output that is logged; a progress bar's redraws count once. */
const MAX_LOG_LINE_BYTES = 64 * 1024;
/** The most bytes of one handshake line (capabilities are a few kilobytes). */
const MAX_HANDSHAKE_LINE_BYTES = 1024 * 1024;

function splitLines(stream: Readable, options: LineSplitterOptions, onLine: (line: SplitLine) => void): void {
  const splitter = new LineSplitter(options);
  stream.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(onLine));
  stream.on('end', () => splitter.end().forEach(onLine));
}

/**
 * Spawns `python -m pie_trtllm_runtime` with no shell, in its own process group, with the
 * handshake on descriptor 3 and the framed request channel on 4 (to the runtime) and 5 (back).
 */
export class ProcessRuntimeLauncher implements RuntimeLauncher {
  constructor(private readonly logger: Logger) {}

  launch(spec: LaunchSpec, signal?: AbortSignal): Promise<LaunchedRuntime> {
    const cancelled = () => new RuntimeError('RUNTIME_UNAVAILABLE', `the start of the runtime on ${spec.device} was cancelled: the driver is shutting down`);
    if (signal?.aborted) return Promise.reject(cancelled());
    const { venv: _venv, python: _python, ...options } = spec.driver.options as Record<string, unknown>;
    // Encoded before anything is created, so a config that cannot be encoded leaves nothing behind.
    let launchConfig: string;
    try {
      launchConfig = JSON.stringify({ model: { ...spec.model, hf_repo: hostRelative(spec.model.hf_repo) }, driver: { ...spec.driver, options }, device: spec.device, simulate: spec.simulate });
    } catch (error) {
      return Promise.reject(new RuntimeError('RUNTIME_START_FAILED', `the driver config cannot be sent to the runtime: ${(error as Error).message}`));
    }
    // The config may hold secrets (llm_kwargs): a folder only the owner can enter (mkdtemp makes
    // it 0700) and a file only the owner can read, removed once the runtime is ready or gone.
    let folder: string | undefined;
    let configPath: string;
    try {
      folder = mkdtempSync(join(tmpdir(), 'pie-trtllm-'));
      configPath = join(folder, 'launch.json');
      writeFileSync(configPath, launchConfig, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if (folder) rmSync(folder, { recursive: true, force: true });
      return Promise.reject(new RuntimeError('RUNTIME_START_FAILED', `cannot write the launch config in ${tmpdir()}: ${(error as Error).message} (set TMPDIR to a writable folder)`));
    }
    const python = spec.interpreter.python;
    const baseEnv = { ...process.env, ...spec.env };
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      PYTHONPATH: runtimePythonPath(baseEnv.PYTHONPATH),
      PYTHONUNBUFFERED: '1',
      PATH: [dirname(python), baseEnv.PATH].filter(Boolean).join(':'),
    };
    const libraryPath = libraryPathWith(wheelLibraryDirs(python), baseEnv.LD_LIBRARY_PATH);
    if (libraryPath) env.LD_LIBRARY_PATH = libraryPath;
    const args = ['-m', 'pie_trtllm_runtime', '--config', configPath, '--remove-config', '--handshake-fd', String(HANDSHAKE_FD), '--request-fd', String(REQUEST_FD), '--response-fd', String(RESPONSE_FD)];
    if (spec.simulate) args.push('--simulate');

    return new Promise((resolve, reject) => {
      const output = new OutputTail();
      let settled = false;
      let capabilities: Capabilities | undefined;
      let engine = { name: 'unknown', version: 'unknown' };
      const child = spawn(python, args, { cwd: RUNTIME_DIR, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
      const stdio = child.stdio as unknown as (Readable | Writable)[];
      const finish = (error?: RuntimeError, rejectWhenGone = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        rmSync(folder, { recursive: true, force: true });
        if (error) {
          const gone = child.pid && child.exitCode === null ? killRuntimeTree(child.pid) : Promise.resolve();
          if (rejectWhenGone) void gone.then(() => reject(error));
          else reject(error);
          return;
        }
        resolve({
          child,
          pid: child.pid!,
          capabilities: capabilities!,
          engine,
          requests: stdio[REQUEST_FD] as Writable,
          replies: stdio[RESPONSE_FD] as Readable,
          output,
        });
      };
      const timer = setTimeout(
        () => finish(new RuntimeError('HANDSHAKE_TIMEOUT', `runtime on ${spec.device} did not become ready within ${spec.readyTimeoutMs} ms (for a large model raise it: --ready-timeout SECONDS or PIE_TRTLLM_READY_TIMEOUT_S on the command line, readyTimeoutMs in create())`, output.text())),
        spec.readyTimeoutMs,
      );
      // Cancelled: rejects only once every process of the group is gone, so a caller that
      // awaits it (dispose, a signal handler about to exit) leaves nothing loading behind.
      const abort = () => finish(cancelled(), true);
      signal?.addEventListener('abort', abort, { once: true });
      child.on('error', (error) => finish(new RuntimeError('RUNTIME_START_FAILED', `cannot start ${python}: ${error.message} (run \`pie-trtllm doctor\`)`)));
      // Recorded now, while it runs: the host kills it at exit only while the group is still this one.
      const group = child.pid ? OwnedGroup.of(child.pid) : undefined;
      if (group) trackGroup(group);
      for (const stream of [child.stdout!, child.stderr!]) {
        stream.on('data', (chunk: Buffer | string) => output.push(chunk));
        splitLines(stream, { maxBytes: MAX_LOG_LINE_BYTES, carriageReturnRedraws: true }, (split) => {
          if ('overlong' in split) this.logger.runtime(spec.device, `(a line of ${split.overlong} bytes, above the ${MAX_LOG_LINE_BYTES}-byte limit, not shown)`);
          else if (split.line.trim()) this.logger.runtime(spec.device, split.line);
        });
      }
      splitLines(stdio[HANDSHAKE_FD] as Readable, { maxBytes: MAX_HANDSHAKE_LINE_BYTES }, (split) => {
        if ('overlong' in split) {
          finish(new RuntimeError('RUNTIME_START_FAILED', `runtime on ${spec.device} wrote a handshake line of ${split.overlong} bytes, above the ${MAX_HANDSHAKE_LINE_BYTES}-byte limit`, output.text()));
          return;
        }
        const line = split.line;
        if (!line.trim()) return;
        let message: { capabilities?: Capabilities; engine?: typeof engine; ready?: boolean; error?: { code: string; message: string } };
        try {
          message = JSON.parse(line);
        } catch {
          finish(new RuntimeError('RUNTIME_START_FAILED', `runtime on ${spec.device} wrote a handshake line that is not JSON: ${line.slice(0, 200)}`, output.text()));
          return;
        }
        if (message.error) {
          // The runtime also logs its error: the tail leaves that line out instead of repeating it.
          const said = message.error.message;
          const tail = output.text().split('\n').filter((tailLine) => !tailLine.includes(said)).join('\n').trim();
          finish(new RuntimeError('RUNTIME_START_FAILED', `runtime on ${spec.device} could not start: ${message.error.code}: ${said}`, tail, message.error.code));
        }
        else if (message.capabilities) {
          capabilities = message.capabilities;
          if (message.engine) engine = message.engine;
        } else if (message.ready) {
          if (capabilities) finish();
          else finish(new RuntimeError('RUNTIME_START_FAILED', `runtime on ${spec.device} said ready before reporting capabilities`, output.text()));
        }
      });
      child.on('exit', (code, signal) => {
        if (settled) return;
        // 'exit' can come before the last output and handshake bytes are read: wait for those
        // streams to end, so the error carries the runtime's last words.
        const streams = [child.stdout!, child.stderr!, stdio[HANDSHAKE_FD] as Readable];
        void streamsEnded(streams).then(() =>
          finish(new RuntimeError('RUNTIME_EXITED', `runtime on ${spec.device} exited (${signal ?? `code ${code}`}) before it was ready`, output.text())),
        );
      });
    });
  }
}
