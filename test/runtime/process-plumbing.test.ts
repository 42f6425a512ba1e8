import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { systemClock } from '../../src/runtime/clock.js';
import { MemoryLogger, StderrLogger } from '../../src/runtime/logger.js';
import { OwnedGroup } from '../../src/runtime/owned-group.js';
import { groupGone } from '../../src/runtime/process-group.js';
import { endProcesses, processTree, stillRunning } from '../../src/runtime/process-tree.js';
import { RUNTIME_DIR, runtimePythonPath } from '../../src/runtime/runtime-directory.js';
import { streamsEnded } from '../../src/runtime/streams-ended.js';
import { repoRoot } from '../helpers/package-paths.js';
import { groupAlive, processState } from '../helpers/process-state.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls `condition` until it holds or `ms` pass; returns whether it held. */
async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

describe('process groups', function () {
  this.timeout(20_000);

  it('kills all of a group it started, and never signals a group it cannot prove is still its own', async () => {
    // A leader and a child of its own: signalling the leader's pid alone would leave the child.
    const leader = spawn('sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    const pid = leader.pid!;
    await eventually(() => processTree(pid).length === 2);
    try {
      const group = OwnedGroup.of(pid)!;
      expect(group.ours()).to.equal(true);
      expect(group.signal('SIGKILL')).to.equal(true);
      expect(await eventually(() => !groupAlive(pid)), 'the whole group ends').to.equal(true);
      expect(group.ours(), 'ended: no longer provably this group').to.equal(false);
      expect(group.signal('SIGTERM'), 'not signalled again').to.equal(false);
      expect(OwnedGroup.of(spawnSync('true').pid), 'a process that no longer runs leads nothing').to.equal(undefined);
      expect(OwnedGroup.of(process.pid), 'a process that leads no group of its own').to.equal(undefined);
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });

  it('keeps a group whose leader has exited its own only while a member it saw runs in it', async () => {
    const leader = spawn('sh', ['-c', 'sleep 30 & echo $!; sleep 0.3'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = leader.pid!;
    const member = Number(await new Promise<string>((resolve) => leader.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    const remembered = OwnedGroup.of(pid)!;
    remembered.remember(processTree(pid));
    const unaware = OwnedGroup.of(pid)!;
    await new Promise((r) => leader.once('exit', r));
    try {
      expect(groupAlive(pid), 'the member runs on in the group').to.equal(true);
      // Without a process seen in it, a group whose leader ended may as well be another's: left alone.
      expect(unaware.ours()).to.equal(false);
      expect(unaware.signal('SIGKILL')).to.equal(false);
      expect(processState(member), 'the member was not signalled').to.not.equal(undefined);
      expect(remembered.ours()).to.equal(true);
      expect(remembered.signal('SIGKILL')).to.equal(true);
      expect(await eventually(() => !groupAlive(pid))).to.equal(true);
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });

  it('counts a group whose only member is a zombie as gone', async () => {
    // Python starts `true` in a group of its own and never reaps it: a zombie, alone in its group.
    const parent = spawn('python3', ['-c', 'import subprocess, sys, time\np = subprocess.Popen(["true"], start_new_session=True)\nprint(p.pid, flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      const zombie = await eventually(() => {
        return processState(pid) === 'Z';
      });
      expect(zombie, 'the child became a zombie').to.equal(true);
      expect(() => process.kill(-pid, 0), 'the kernel still knows the group').to.not.throw();
      expect(groupAlive(pid)).to.equal(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('counts a zombie as no longer running, and leaves it out of a process tree', async () => {
    // Python starts `sleep 0.5` and never reaps it: listed while it runs, a zombie afterwards.
    const parent = spawn('python3', ['-c', 'import subprocess, time\np = subprocess.Popen(["sleep", "0.5"])\nprint(p.pid, flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      const entry = processTree(parent.pid!).find((e) => e.pid === pid);
      expect(entry, 'the child while it runs').to.not.equal(undefined);
      expect(stillRunning(entry!)).to.equal(true);
      expect(await eventually(() => processState(pid) === 'Z'), 'the child became a zombie').to.equal(true);
      expect(stillRunning(entry!)).to.equal(false);
      expect(processTree(parent.pid!).map((e) => e.pid)).to.deep.equal([parent.pid]);
      expect(await endProcesses([entry!], 1000), 'nothing left to end').to.deep.equal([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('waits for a group to end after it was killed, and no longer than its cap for one that does not', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const group = OwnedGroup.of(child.pid!)!;
    let gone = false;
    const waiting = groupGone(group).then(() => (gone = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(gone, 'alive: still waiting').to.equal(false);
    group.signal('SIGKILL');
    await waiting;
    expect(groupAlive(child.pid!)).to.equal(false);

    const stubborn = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const stubbornGroup = OwnedGroup.of(stubborn.pid!)!;
    try {
      const started = Date.now();
      await groupGone(stubbornGroup, 300);
      expect(Date.now() - started, 'polled for its cap').to.be.at.least(300);
      expect(groupAlive(stubborn.pid!), 'the cap ended the wait, not the group').to.equal(true);
    } finally {
      stubbornGroup.signal('SIGKILL');
    }
  });

  it('kills tracked groups when the host process exits, except those no longer its own (a failed launch long ended)', async () => {
    const script = `
      import { spawn } from 'node:child_process';
      import { OwnedGroup } from ${JSON.stringify(new URL('../../src/runtime/owned-group.js', import.meta.url).href)};
      import { trackGroup, untrackGroup } from ${JSON.stringify(new URL('../../src/runtime/process-group.js', import.meta.url).href)};
      const kept = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
      const released = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
      const ended = spawn('sleep', ['0.2'], { detached: true, stdio: 'ignore' });
      const endedGroup = OwnedGroup.of(ended.pid);
      trackGroup(OwnedGroup.of(kept.pid));
      const releasedGroup = OwnedGroup.of(released.pid);
      trackGroup(releasedGroup);
      untrackGroup(releasedGroup);
      if (endedGroup) trackGroup(endedGroup);
      await new Promise((resolve) => ended.once('exit', resolve));
      // What the exit hook signals, whatever pid may have been handed out again meanwhile.
      const signalled = [];
      const kill = process.kill.bind(process);
      process.kill = (pid, signal) => { signalled.push(pid); return kill(pid, signal); };
      process.on('exit', () => console.log(JSON.stringify({ kept: kept.pid, released: released.pid, ended: ended.pid, tracked: Boolean(endedGroup), signalled })));
      process.exit(0);
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { kept: number; released: number; ended: number; tracked: boolean; signalled: number[] };
    try {
      expect(await eventually(() => !groupAlive(report.kept)), 'the tracked group was killed at exit').to.equal(true);
      expect(groupAlive(report.released), 'an untracked group is left to its owner').to.equal(true);
      expect(report.tracked, 'the short-lived group was tracked while it ran').to.equal(true);
      expect(report.signalled).to.include(-report.kept);
      expect(report.signalled, 'a group that ended is never signalled: its id may be another program\'s now').to.not.include(-report.ended);
    } finally {
      for (const pid of [report.kept, report.released]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  });
});

describe('streams ended', () => {
  it('resolves at once for ended, destroyed or missing streams', async () => {
    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((r) => ended.once('end', r));
    const destroyed = new PassThrough();
    destroyed.destroy();
    let done = false;
    void streamsEnded([ended, destroyed, null, undefined], 60_000).then(() => (done = true));
    await tick();
    await tick();
    expect(done).to.equal(true);
  });

  it('counts a stream that has ended but stays open (autoDestroy off) as ended', async () => {
    const kept = new PassThrough({ autoDestroy: false });
    kept.resume();
    kept.end();
    await new Promise((r) => kept.once('end', r));
    expect([kept.readableEnded, kept.destroyed]).to.deep.equal([true, false]);
    let done = false;
    void streamsEnded([kept], 60_000).then(() => (done = true));
    await tick();
    await tick();
    expect(done).to.equal(true);
  });

  it('waits for every open stream to end or close, and no longer than the cap', async () => {
    const a = new PassThrough();
    const b = new PassThrough();
    let done = false;
    void streamsEnded([a, b], 60_000).then(() => (done = true));
    a.resume();
    a.end();
    await new Promise((r) => a.once('end', r));
    await tick();
    expect(done, 'one of two has ended').to.equal(false);
    b.destroy();
    await new Promise((r) => b.once('close', r));
    await tick();
    expect(done, 'the other closed').to.equal(true);

    // A stream that ends while waited on but never closes (autoDestroy off): its end is enough.
    const open = new PassThrough({ autoDestroy: false });
    let ended = false;
    void streamsEnded([open], 60_000).then(() => (ended = true));
    open.resume();
    open.end();
    await new Promise((r) => open.once('end', r));
    await tick();
    expect([ended, open.destroyed], 'ended, still open').to.deep.equal([true, false]);

    const stuck = new PassThrough();
    let capped = false;
    void streamsEnded([stuck], 300).then(() => (capped = true));
    await tick();
    expect(capped, 'before the cap').to.equal(false);
    expect(await eventually(() => capped, 5000), 'after the cap').to.equal(true);
  });
});

describe('runtime folder and clock', () => {
  it('puts the package\'s python/ folder first on PYTHONPATH, keeping the operator\'s entries', () => {
    const dir = join(repoRoot, 'python');
    expect(RUNTIME_DIR).to.equal(dir);
    expect(runtimePythonPath(undefined)).to.equal(dir);
    expect(runtimePythonPath('')).to.equal(dir);
    expect(runtimePythonPath('/opt/site:/x')).to.equal(`${dir}:/opt/site:/x`);
  });

  it('sleeps without keeping the process alive, and tells the time in milliseconds', async () => {
    const script = `
      import { systemClock } from ${JSON.stringify(new URL('../../src/runtime/clock.js', import.meta.url).href)};
      systemClock.sleep(60000).then(() => console.log('woke'));
      console.log('waiting');
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(run.signal, 'a 60 s sleep held the process open').to.equal(null);
    expect(run.stdout).to.equal('waiting\n');
    const before = Date.now();
    const now = systemClock.now();
    expect(now).to.be.within(before, Date.now());
    let slept = false;
    await systemClock.sleep(1).then(() => (slept = true));
    expect(slept).to.equal(true);
  });
});

describe('loggers', () => {
  function captured(verbose: boolean, write: (logger: StderrLogger) => void): string {
    const original = process.stderr.write.bind(process.stderr);
    let text = '';
    process.stderr.write = ((chunk: string) => {
      text += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      write(new StderrLogger(verbose));
    } finally {
      process.stderr.write = original;
    }
    return text;
  }

  it('writes warnings and errors always, info and runtime lines only when verbose, each one terminal-safe line', () => {
    const all = (logger: StderrLogger) => {
      logger.info('started cuda:0');
      logger.warn('slow\nstart');
      logger.error('died \u001b[31m');
      logger.runtime('cuda:0\n', 'loading');
    };
    expect(captured(false, all)).to.equal('[pie-trtllm] warning: slow\\u000astart\n[pie-trtllm] error: died \\u001b[31m\n');
    expect(captured(true, all)).to.equal('[pie-trtllm] started cuda:0\n[pie-trtllm] warning: slow\\u000astart\n[pie-trtllm] error: died \\u001b[31m\n[runtime cuda:0\\u000a] loading\n');
  });

  it('is verbose when PIE_TRTLLM_VERBOSE is 1', () => {
    const saved = process.env.PIE_TRTLLM_VERBOSE;
    try {
      process.env.PIE_TRTLLM_VERBOSE = '1';
      const verbose = new StderrLogger();
      process.env.PIE_TRTLLM_VERBOSE = 'yes';
      const quiet = new StderrLogger();
      const original = process.stderr.write.bind(process.stderr);
      let text = '';
      process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
      try {
        verbose.info('a');
        quiet.info('b');
      } finally {
        process.stderr.write = original;
      }
      expect(text).to.equal('[pie-trtllm] a\n');
    } finally {
      if (saved === undefined) delete process.env.PIE_TRTLLM_VERBOSE;
      else process.env.PIE_TRTLLM_VERBOSE = saved;
    }
  });

  it('keeps lines in memory with their level', () => {
    const logger = new MemoryLogger();
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.runtime('cuda:1', 'r');
    expect(logger.lines).to.deep.equal(['info: i', 'warn: w', 'error: e', 'runtime cuda:1: r']);
  });
});
