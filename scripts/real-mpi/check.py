"""Runs the packed package on a machine with a GPU, mpi4py and Open MPI, through the real
`MPIPoolExecutor` route, and prints the process tree and the GPU's users at each point:
start, SIGKILL of a runtime, the restart, SIGKILL of an executor worker, shutdown, and SIGKILL of
the host.

Such a machine may have Python and torch but no Node and no network, so everything comes from the
kit folder beside the repository (scripts/real-mpi/make-kit.sh builds it): `node` (the binary) and
`app/node_modules/pie-driver-tensorrt-llm` (the packed package with its production dependencies).

    python3 scripts/real-mpi/check.py --kit .device-kit [--log FILE]

Exit status 0 when every step held: the replica was back after one restart with no failed load,
no process of the dead replica ran once its replacement started, a dead executor worker ended its
runtime (code 4) and the replica was replaced once more, and nothing was left after shutdown or
after SIGKILL of the host."""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODEL = os.path.join(REPO, "python", "tests", "fixtures", "models", "qwen3")

log_file = None


def say(text=""):
    print(text, flush=True)
    if log_file:
        log_file.write(text + "\n")
        log_file.flush()


def processes():
    """pid -> (ppid, pgid, sid, state, args) of every process."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid=,sid=,stat=,args="], capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        fields = line.split(None, 5)
        if len(fields) >= 5:
            table[int(fields[0])] = (int(fields[1]), int(fields[2]), int(fields[3]), fields[4], fields[5] if len(fields) > 5 else "")
    return table


def relevant(table, roots):
    """The processes below `roots`, and every process of the kind a replica runs (the runtime, the
    MPI daemon, mpi4py workers) wherever it was re-parented."""
    keep = set()
    for pid, (ppid, *_rest) in table.items():
        args = table[pid][4]
        if any(word in args for word in ("pie_trtllm_runtime", "orted", "mpi4py.futures.server", "main.js serve")):
            keep.add(pid)
    changed = True
    while changed:
        changed = False
        for pid, (ppid, *_rest) in table.items():
            if pid not in keep and (ppid in keep or ppid in roots):
                keep.add(pid)
                changed = True
    return sorted(keep)


def gpu_users():
    out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"], capture_output=True, text=True)
    return [tuple(int(x) for x in line.split(",")) for line in out.stdout.splitlines() if line.strip()]


def show(label, roots=()):
    table = processes()
    say("--- %s (%.1f s)" % (label, time.monotonic() - START))
    say("    pid   ppid   pgid    sid stat args")
    for pid in relevant(table, set(roots)):
        ppid, pgid, sid, stat, args = table[pid]
        say("%7d %6d %6d %6d %-4s %s" % (pid, ppid, pgid, sid, stat, args[:110]))
    users = gpu_users()
    say("    GPU users: %s" % (", ".join("pid %d (%d MiB)" % user for user in users) or "none"))
    return table, users


class Serve:
    def __init__(self, node, cli, config, env, stderr_path):
        # stderr to a file: a pipe nobody reads would fill with the runtime's log and stop serve.
        self.stderr_path = stderr_path
        with open(stderr_path, "w") as stderr:
            self.process = subprocess.Popen([node, cli, "serve", "--config", config, "--stdio", "--ready-timeout", "600"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        self.next_id = 0

    def call(self, message):
        self.next_id += 1
        self.process.stdin.write(json.dumps(dict(message, id=self.next_id)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            with open(self.stderr_path) as stderr:
                raise RuntimeError("serve ended: %s" % stderr.read()[-2000:])
        return json.loads(line)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main():
    global log_file, START
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", required=True, help="folder holding node and app/node_modules/pie-driver-tensorrt-llm")
    parser.add_argument("--log", help="also write the transcript here")
    args = parser.parse_args()
    log_file = open(args.log, "w") if args.log else None
    START = time.monotonic()
    node = os.path.join(args.kit, "node")
    cli = os.path.join(args.kit, "app", "node_modules", "pie-driver-tensorrt-llm", "dist", "src", "cli", "main.js")
    failures = []

    work = tempfile.mkdtemp(prefix="real-mpi-")
    config = os.path.join(work, "pie.toml")
    with open(config, "w") as handle:
        handle.write('[[model]]\nname = "real-mpi"\nhf_repo = "%s"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n' % MODEL)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(HERE, "site"), os.environ.get("PYTHONPATH", "")]),
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", PIE_TRTLLM_VERBOSE="1", PYTHONUNBUFFERED="1")
    versions = subprocess.run([sys.executable, "-c", "import mpi4py, torch; from mpi4py import MPI; print('mpi4py', mpi4py.__version__, '|', MPI.Get_library_version().splitlines()[0], '| torch', torch.__version__)"],
                              capture_output=True, text=True, env=env)
    say("date: %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    say("machine: %s" % (versions.stdout.strip() or versions.stderr.strip()[-300:]))
    say("node: %s" % subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip())

    serve = Serve(node, cli, config, env, os.path.join(work, "serve-1.log"))
    replica = serve.call({"op": "status"})["replicas"][0]
    table, users = show("ready: runtime pid %d, processes the driver lists: %s" % (replica["pid"], [p["pid"] for p in replica["processes"]]), [serve.process.pid])
    first = replica["processes"]
    say("forward: %s" % serve.call({"op": "forward", "batch": {"context_ids": [1], "token_ids": [1, 2, 3], "position_ids": [0, 1, 2], "qo_indptr": [0, 3],
                                                              "samplers": [{"type": "top_p", "temperature": 0, "p": 1}], "sampler_indptr": [0, 1]}}))

    os.kill(replica["pid"], signal.SIGKILL)
    killed = time.monotonic()
    time.sleep(0.3)
    show("0.3 s after SIGKILL of runtime %d" % replica["pid"], [serve.process.pid])
    back = None
    seen_old_with_new = []
    while time.monotonic() - killed < 300:
        status = serve.call({"op": "status"})["replicas"][0]
        new_pids = [p["pid"] for p in status.get("processes", []) if p["pid"] not in [q["pid"] for q in first]]
        if new_pids:
            still = [p["pid"] for p in first if alive(p["pid"])]
            if still:
                seen_old_with_new.append(still)
        if status["state"] in ("ready", "failed") and status["pid"] != replica["pid"]:
            back = status
            break
        time.sleep(0.2)
    show("after the restart (%.1f s after the kill): %s, restarts %s" % (time.monotonic() - killed, back and back["state"], back and back["restarts"]), [serve.process.pid])
    if not back or back["state"] != "ready" or back["restarts"] != 1:
        failures.append("the replica was not back after exactly one restart: %s" % back)
    if seen_old_with_new:
        failures.append("processes of the dead replica ran while its replacement started: %s" % seen_old_with_new)
    say("forward after the restart: %s" % serve.call({"op": "forward", "batch": {"context_ids": [2], "token_ids": [4, 5], "position_ids": [0, 1], "qo_indptr": [0, 2],
                                                                               "samplers": [{"type": "top_p", "temperature": 0, "p": 1}], "sampler_indptr": [0, 1]}}))

    # A dead executor worker (an Xid error, the OOM killer): the runtime notices, ends with code 4,
    # and the replica is replaced as after a runtime death.
    current = serve.call({"op": "status"})["replicas"][0]
    workers = [p for p in current["processes"] if "mpi4py.futures.server" in p["command"]]
    if not workers:
        failures.append("no executor worker among the replica's processes: %s" % current["processes"])
    else:
        os.kill(workers[0]["pid"], signal.SIGKILL)
        killed = time.monotonic()
        replaced = None
        while time.monotonic() - killed < 300:
            status = serve.call({"op": "status"})["replicas"][0]
            if status["state"] in ("ready", "failed") and status["pid"] != current["pid"]:
                replaced = status
                break
            time.sleep(0.2)
        show("after SIGKILL of executor worker %d (%.1f s): %s, restarts %s" % (workers[0]["pid"], time.monotonic() - killed, replaced and replaced["state"], replaced and replaced["restarts"]),
             [serve.process.pid])
        with open(serve.stderr_path) as stderr:
            noticed = [line for line in stderr.read().splitlines() if "executor" in line and ("ended" in line or "broke" in line)]
        for line in noticed[-3:]:
            say("  log: " + line[:200])
        if not replaced or replaced["state"] != "ready" or replaced["restarts"] != 2:
            failures.append("the replica was not replaced once after its executor worker died: %s" % replaced)
        if not any("code 4: its TensorRT-LLM executor broke" in line for line in noticed):
            failures.append("the host did not say the executor broke")
        say("forward after the executor's death: %s" % serve.call({"op": "forward", "batch": {"context_ids": [3], "token_ids": [6, 7], "position_ids": [0, 1], "qo_indptr": [0, 2],
                                                                                            "samplers": [{"type": "top_p", "temperature": 0, "p": 1}], "sampler_indptr": [0, 1]}}))
    last = serve.call({"op": "status"})["replicas"][0]["processes"]
    say("shutdown: %s" % serve.call({"op": "shutdown"}))
    serve.process.wait(timeout=60)
    time.sleep(1)
    table, users = show("1 s after shutdown (serve exited %s)" % serve.process.returncode)
    if any(alive(p["pid"]) for p in last) or users:
        failures.append("left after shutdown: %s, GPU users %s" % ([p["pid"] for p in last if alive(p["pid"])], users))

    host = Serve(node, cli, config, env, os.path.join(work, "serve-2.log"))
    processes_then = host.call({"op": "status"})["replicas"][0]["processes"]
    show("second serve ready", [host.process.pid])
    host.process.kill()
    host.process.wait()
    previous = 0.0
    for after in (0.5, 3.0, 6.0):
        time.sleep(after - previous)
        previous = after
        table, users = show("%.1f s after SIGKILL of the host" % after)
    if any(alive(p["pid"]) for p in processes_then) or users:
        failures.append("left 6 s after SIGKILL of the host: %s, GPU users %s" % ([p["pid"] for p in processes_then if alive(p["pid"])], users))

    say("stderr of the first serve (last lines):")
    with open(serve.stderr_path) as stderr:
        lines = stderr.read().splitlines()
    for line in lines[-30:]:
        say("  " + line)
    say("RESULT: %s" % ("every step held" if not failures else "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
