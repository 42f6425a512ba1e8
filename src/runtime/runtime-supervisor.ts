import type { Capabilities } from '../capabilities/forward-types.js';
import type { Clock } from './clock.js';
import type { RuntimeReply, RuntimeStatus } from './generated/wire-messages.js';
import type { ReplicaState, ReplicaStatus } from './replica-status.js';
import type { ResolvedInterpreter } from './interpreter-resolver.js';
import type { Logger } from './logger.js';
import { OwnedGroup } from './owned-group.js';
import { killRuntimeTree, trackMembers, untrackMembers } from './process-group.js';
import { endProcesses, type ProcessEntry, processTree, signalProcesses, stillRunning } from './process-tree.js';
import { replyPollingMicros } from './reply-polling.js';
import { RuntimeClient } from './runtime-client.js';
import { RuntimeError } from './runtime-errors.js';
import type { SupervisorPolicy } from './supervisor-policy.js';
import type { LaunchedRuntime, LaunchSpec, RuntimeLauncher } from './runtime-launcher.js';
import { streamsEnded } from './streams-ended.js';

/** How long a dead runtime's processes may take to end after SIGKILL before the replica gives up. */
const REAP_TIMEOUT_MS = 10_000;

/** The runtime's exit status when an executor worker of its engine ended (executor_watch.py). */
export const EXECUTOR_BROKEN_EXIT = 4;

/**
 * Owns one runtime process: starts it, fails its in-flight requests at once when it dies,
 * restarts it with exponential backoff, gives up after repeated crashes, and shuts it down
 * gracefully then by force, for its whole process group.
 */
export class RuntimeSupervisor {
  state: ReplicaState = 'idle';
  restarts = 0;
  reason: string | undefined;
  private runtime: LaunchedRuntime | undefined;
  private client: RuntimeClient | undefined;
  private crashes: number[] = [];
  private lastStatus: RuntimeStatus | undefined;
  private launching: { controller: AbortController; settled: Promise<void> } | undefined;
  /** Every process of the live replica: the runtime and what it started, inside its process group
   *  or not (TensorRT-LLM's MPI daemon calls setsid, and its workers hold the GPUs). */
  private members: ProcessEntry[] = [];
  /** The current runtime's process group, recorded when it attached. */
  private group: OwnedGroup | undefined;
  /** Ending the processes of the runtime that exited last; settles when they are gone. */
  private reaping: Promise<boolean> | undefined;
  private readonly lostListeners: (() => void)[] = [];
  private exited: Promise<void> | undefined;
  /** The status round trip in flight, shared by every caller that comes while it is. */
  private statusRead: Promise<void> | undefined;

  constructor(
    readonly spec: Omit<LaunchSpec, 'interpreter'> & { interpreter: ResolvedInterpreter },
    private readonly launcher: RuntimeLauncher,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly policy: SupervisorPolicy,
  ) {}

  get device(): string {
    return this.spec.device;
  }

  get pid(): number | undefined {
    return this.runtime?.pid;
  }

  get capabilities(): Capabilities | undefined {
    return this.runtime?.capabilities;
  }

  get engine(): { name: string; version: string } | undefined {
    return this.runtime?.engine;
  }

  /** Called whenever this runtime's contexts are gone (it died): they need a replayable prefix again. */
  onContextsLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') {
      // Nothing would stop a runtime started now: its shutdown has run.
      throw new RuntimeError('RUNTIME_UNAVAILABLE', `the replica on ${this.device} is shut down and does not start again`);
    }
    this.state = 'starting';
    try {
      await this.launch();
    } catch (error) {
      if (this.state === 'starting') {
        this.state = 'failed';
        this.reason = (error as Error).message;
      }
      throw error;
    }
  }

  /** Launches and attaches a runtime; `shutdown` can cancel it at any moment, and once it has
   *  settled nothing of a cancelled launch is left running. */
  private launch(): Promise<LaunchedRuntime> {
    const controller = new AbortController();
    const step = (async () => {
      const runtime = await this.launcher.launch(this.spec, controller.signal);
      if (controller.signal.aborted) {
        // Ready just as the shutdown came: this runtime (and its MPI workers) is not wanted.
        await killRuntimeTree(runtime.pid);
        throw new RuntimeError('RUNTIME_UNAVAILABLE', `the start of the runtime on ${this.device} was cancelled: the driver is shutting down`);
      }
      this.attach(runtime);
      return runtime;
    })();
    const launching = { controller, settled: step.then(() => undefined, () => undefined) };
    this.launching = launching;
    void launching.settled.then(() => {
      if (this.launching === launching) this.launching = undefined;
    });
    return step;
  }

  private attach(runtime: LaunchedRuntime): void {
    this.runtime = runtime;
    // Recorded while it runs: its group is signalled only while it provably still is this one.
    const group = OwnedGroup.of(runtime.pid);
    this.group = group;
    this.client = new RuntimeClient(runtime, {
      label: this.device,
      maxInFlight: this.policy.maxInFlight,
      requestTimeoutMs: this.policy.requestTimeoutMs,
      replyPollingMicros: replyPollingMicros(this.spec.driver),
      onTimeout: () => {
        this.logger.warn(`runtime on ${this.device} (pid ${runtime.pid}) stopped answering; killing it`);
        group?.signal('SIGKILL');
      },
      onClosed: () => {
        // A runtime whose channel is gone is useless even if its process lives: replace it.
        if (runtime === this.runtime && this.state === 'ready' && runtime.child.exitCode === null) {
          this.logger.warn(`the channel to the runtime on ${this.device} (pid ${runtime.pid}) closed; killing it`);
          group?.signal('SIGKILL');
        }
      },
    });
    this.exited = new Promise((resolve) => runtime.child.once('exit', (code, signal) => {
      resolve();
      this.onExit(runtime, code, signal);
    }));
    this.state = 'ready';
    this.reason = undefined;
    this.members = processTree(runtime.pid);
    group?.remember(this.members);
    trackMembers(runtime.pid, this.members);
  }

  /** Adds processes the live runtime started since they were last listed. */
  private refreshMembers(): void {
    const runtime = this.runtime;
    if (!runtime) return;
    const known = new Set(this.members.map((m) => `${m.pid}:${m.startTime}`));
    const found = processTree(runtime.pid).filter((m) => !known.has(`${m.pid}:${m.startTime}`));
    if (found.length === 0) return;
    this.group?.remember(found);
    this.members = [...this.members.filter(stillRunning), ...found];
    trackMembers(runtime.pid, this.members);
  }

  /** Ends what is left of a dead runtime's replica before anything is started in its place: a
   *  worker that outlived its runtime still holds the GPU a replacement would load onto. */
  private async reap(runtimePid: number, members: ProcessEntry[]): Promise<boolean> {
    const left = await endProcesses(members, REAP_TIMEOUT_MS);
    untrackMembers(runtimePid);
    if (left.length === 0) return true;
    if (this.state !== 'restarting') {
      this.logger.error(`the runtime on ${this.device} (pid ${runtimePid}): processes ${left.map((m) => m.pid).join(', ')} did not end after SIGKILL`);
      return false;
    }
    this.state = 'failed';
    this.reason = `the runtime on ${this.device} (pid ${runtimePid}) died and its ${left.map((m) => `process ${m.pid} (${m.command.split(' ')[0] || '?'})`).join(', ')} did not end within ${REAP_TIMEOUT_MS / 1000} s of SIGKILL; not restarting onto GPUs it may still hold (end it, then restart the driver)`;
    this.logger.error(this.reason);
    return false;
  }

  private onExit(runtime: LaunchedRuntime, code: number | null, signal: NodeJS.Signals | null): void {
    if (runtime !== this.runtime) return;
    const how = signal ?? (code === EXECUTOR_BROKEN_EXIT ? `code ${code}: its TensorRT-LLM executor broke, an executor worker ended` : `code ${code}`);
    this.client?.close(new RuntimeError('RUNTIME_UNAVAILABLE', `the runtime on ${this.device} (pid ${runtime.pid}) died (${how}) while this request was in flight`));
    this.client = undefined;
    this.runtime = undefined;
    // Its group and every process it started (an MPI daemon and its workers live outside the
    // group, and would hold the GPUs for seconds more).
    const members = this.members;
    this.members = [];
    this.group?.signal('SIGKILL');
    signalProcesses(members, 'SIGKILL');
    const reaped = this.reap(runtime.pid, members);
    this.reaping = reaped;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    for (const listener of this.lostListeners) listener();
    this.logger.warn(`runtime on ${this.device} (pid ${runtime.pid}) exited (${how}); restarting`);
    this.state = 'restarting';
    this.reason = `exited (${how})`;
    // The reason for giving up quotes the runtime's last output: let its pipes deliver it first.
    void Promise.all([reaped, streamsEnded([runtime.child.stdout, runtime.child.stderr])]).then(([reaped]) => {
      if (reaped) return this.restart(`exited (${how})`, runtime.output.text());
      return undefined;
    });
  }

  private async restart(why: string, tail: string): Promise<void> {
    if (this.state !== 'restarting') return; // stopped meanwhile
    const now = this.clock.now();
    this.crashes = [...this.crashes.filter((t) => now - t < this.policy.crashWindowMs), now];
    if (this.crashes.length >= this.policy.maxCrashes) {
      this.state = 'failed';
      this.reason = `the runtime on ${this.device} crashed ${this.crashes.length} times in ${Math.round(this.policy.crashWindowMs / 1000)} s (last: ${why}); gave up${tail ? `. Last output: ${tail.split('\n').slice(-3).join(' | ')}` : ''}`;
      this.logger.error(this.reason);
      return;
    }
    this.state = 'restarting';
    this.reason = why;
    const delay = Math.min(this.policy.backoffMaxMs, this.policy.backoffBaseMs * 2 ** (this.crashes.length - 1));
    await this.clock.sleep(delay);
    if (this.state !== 'restarting') return;
    try {
      const runtime = await this.launch();
      this.restarts++;
      this.logger.info(`runtime on ${this.device} restarted (pid ${runtime.pid})`);
    } catch (error) {
      await this.restart(`restart failed: ${(error as Error).message.split('\n')[0]}`, (error as RuntimeError).outputTail ?? '');
    }
  }

  /** Sends one message; RUNTIME_UNAVAILABLE when the runtime is not serving. */
  async call(message: { op: string } & Record<string, unknown>, onSent?: (id: number) => void): Promise<RuntimeReply> {
    const client = this.client;
    if (this.state !== 'ready' || !client) {
      const why = this.state === 'failed' ? `gave up: ${this.reason}` : this.state === 'restarting' ? `restarting after it ${this.reason}` : this.state;
      throw new RuntimeError(this.state === 'failed' ? 'RUNTIME_GAVE_UP' : 'RUNTIME_UNAVAILABLE', `the runtime on ${this.device} is not serving (${why})`);
    }
    return client.call(message, onSent);
  }

  /** The replica's state and its runtime's counts; `processes: false` leaves out the process list,
   *  which reads /proc for every process of the machine (metrics collection asks often). */
  async status(options: { processes?: boolean } = {}): Promise<ReplicaStatus> {
    const processes = options.processes ?? true;
    if (this.state === 'ready') {
      if (processes) this.refreshMembers();
      // Concurrent callers (a flood of metrics scrapes, say) share one round trip: the runtime
      // answers each status between decode steps, so a status per caller would cost steps.
      this.statusRead ??= this.call({ op: 'status' }).then(
        (reply) => {
          if (reply.status) this.lastStatus = reply.status;
        },
        () => undefined, // the state below says why
      ).finally(() => (this.statusRead = undefined));
      await this.statusRead;
    }
    return {
      device: this.device,
      pid: this.runtime?.pid ?? null,
      state: this.state,
      restarts: this.restarts,
      engine_calls: this.state === 'ready' ? (this.lastStatus?.engine_calls ?? 0) : 0,
      tokens_generated: this.state === 'ready' ? (this.lastStatus?.tokens_generated ?? 0) : 0,
      ...(this.reason && this.state !== 'ready' ? { reason: this.reason } : {}),
      ...(this.state === 'ready' && this.lastStatus ? { runtime: this.lastStatus } : {}),
      processes: processes ? this.members.filter(stillRunning).map((m) => ({ pid: m.pid, ppid: m.ppid, command: m.command })) : [],
    };
  }

  /** `shutdown` op, then SIGTERM, then SIGKILL after the grace period, for the whole group. */
  async shutdown(): Promise<void> {
    this.state = 'stopping';
    // A start or restart in progress is cancelled, and its processes are gone, before going on.
    const launching = this.launching;
    if (launching) {
      launching.controller.abort();
      await launching.settled;
    }
    const runtime = this.runtime;
    if (runtime) {
      const grace = this.policy.shutdownGraceMs;
      const exited = this.exited!;
      const within = (ms: number) => Promise.race([exited.then(() => true), this.clock.sleep(ms).then(() => false)]);
      this.client?.call({ op: 'shutdown' }).catch(() => undefined);
      const group = this.group;
      if (!(await within(grace))) {
        group?.signal('SIGTERM');
        if (!(await within(grace))) {
          group?.signal('SIGKILL');
          if (!(await within(grace))) this.logger.error(`the runtime on ${this.device} (pid ${runtime.pid}) did not exit after SIGKILL`);
        }
      }
      for (let i = 0; i < 100 && group?.ours(); i++) {
        group.signal('SIGKILL');
        await this.clock.sleep(10);
      }
      this.client?.close(new RuntimeError('RUNTIME_UNAVAILABLE', `the runtime on ${this.device} is shut down`));
      // The runtime's exit handed its other processes to `reap`: they are gone when it is done.
      await this.reaping;
    }
    this.runtime = undefined;
    this.client = undefined;
    this.state = 'stopped';
  }
}
