"""Start-up: read the launch config, load the engine, hand the parent a handshake, serve.

The handshake descriptor carries exactly one JSON line of capabilities and one `{"ready": true}`
line, or one `{"error": ...}` line on failure; stdout and stderr carry logs only."""

import argparse
import gc
import json
import logging
import os
import signal
import sys

from .capabilities import capability_report
from .codes import CONFIG_INVALID, StartupError
from .framing import FrameReader, FrameWriter
from .executor_watch import ExecutorWatch, executor_processes
from .host_watch import HostWatch

log = logging.getLogger("pie_trtllm_runtime")


def _parser():
    parser = argparse.ArgumentParser(prog="python -m pie_trtllm_runtime", description="Python runtime of pie-driver-tensorrt-llm")
    parser.add_argument("--config", help="launch config (JSON) written by the driver")
    parser.add_argument("--handshake-fd", type=int, help="descriptor for the capability and ready lines")
    parser.add_argument("--request-fd", type=int, help="descriptor the driver writes framed requests to")
    parser.add_argument("--response-fd", type=int, help="descriptor this runtime writes framed replies to")
    parser.add_argument("--simulate", action="store_true", help="use the simulated TensorRT-LLM")
    parser.add_argument("--remove-config", action="store_true",
                        help="remove the config file (and its folder, if then empty) once read: it may hold secrets, and a host that dies leaves it")
    parser.add_argument("--probe", action="store_true", help="print what this interpreter can run, as JSON, and exit")
    parser.add_argument("--probe-ray", action="store_true", help="with --probe: also import ray (for llm_kwargs.orchestrator_type = \"ray\")")
    return parser


def _write_lines(fd, messages):
    data = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages).encode("utf-8")
    while data:
        data = data[os.write(fd, data):]
    os.close(fd)


SWITCH_INTERVAL_S = 0.0005
PROFILE_SPIN_US = {"latency": None, "balanced": 1000, "power": 0}


def spin_budget_us(driver):
    """How long the request reader polls before it sleeps: `spin_budget_us`, else the profile's
    (latency: without limit, balanced: 1000 µs, power: never), as in Pie."""
    if driver.get("spin_budget_us") is not None:
        return int(driver["spin_budget_us"])
    return PROFILE_SPIN_US.get(driver.get("ipc_profile", "balanced"), 1000)


def read_config(path):
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError, RecursionError) as error:
        raise StartupError(CONFIG_INVALID, "cannot read the launch config %s: %s" % (path, error))
    driver = config.get("driver") if isinstance(config, dict) else None
    model = config.get("model") if isinstance(config, dict) else None
    if not isinstance(driver, dict) or not isinstance(model, dict) or not isinstance(model.get("hf_repo"), str):
        raise StartupError(CONFIG_INVALID, "the launch config needs a 'driver' table and a 'model' with 'hf_repo'")
    options = driver.setdefault("options", {})
    if not isinstance(options, dict):
        raise StartupError(CONFIG_INVALID, "driver.options must be a table")
    for name, value in (("tensor_parallel_size", driver.get("tensor_parallel_size", 1)), ("pipeline_parallel_size", options.get("pipeline_parallel_size", 1))):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise StartupError(CONFIG_INVALID, "%s must be an integer ≥ 1, found %r" % (name, value))
    if options.get("execution_mode") == "pyexecutor":
        if options.get("max_history_tokens") is not None:
            raise StartupError(CONFIG_INVALID, "max_history_tokens must be unset when execution_mode = \"pyexecutor\"")
        if options.get("lookahead_mode") == "window":
            raise StartupError(CONFIG_INVALID, "lookahead_mode = \"window\" contradicts execution_mode = \"pyexecutor\", which streams serve; "
                               "remove lookahead_mode")
    return config


def remove_config(path):
    """Removes the launch config and, when it is then empty, the folder the host made for it."""
    # Each on its own: the host watch and the main thread may both get here, and the one that
    # finds the config gone must still remove the folder, since the other may end first.
    for remove, target in ((os.remove, path), (os.rmdir, os.path.dirname(os.path.abspath(path)))):
        try:
            remove(target)
        except OSError:
            pass  # gone already, or the folder holds more: the host removes it


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.probe:
        from .probe import main as probe_main
        return probe_main(ray=args.probe_ray)
    # Replay histories are many long-lived lists; collect young objects less often, as
    # TensorRT-LLM's own executor does (garbage_collection_gen0_threshold = 20000).
    gc.set_threshold(20000, 10, 10)
    # The engine thread must take the interpreter within half a millisecond of a token's arrival,
    # even while the request reader spins (Python's default lets a spinning thread keep it 5 ms,
    # an engine iteration).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("PIE_TRTLLM_LOG_LEVEL", "INFO"),
                        format="[pie_trtllm_runtime %(process)d] %(levelname)s %(message)s")
    if args.config is None or args.handshake_fd is None or args.request_fd is None or args.response_fd is None:
        _parser().error("--config, --handshake-fd, --request-fd and --response-fd are required (or --probe)")
    # From here on the runtime ends with its host, whatever phase it is in.
    watch = HostWatch(args.request_fd, on_host_gone=(lambda: remove_config(args.config)) if args.remove_config else None).start()
    try:
        try:
            config = read_config(args.config)
        finally:
            if args.remove_config:
                remove_config(args.config)
        if args.simulate:
            config["simulate"] = True
        from .loader import load_engine
        before = executor_processes(os.getpid())
        engine = load_engine(config)
        # A worker of this engine that dies from here on breaks it: the runtime then ends.
        engine.executor_watch = ExecutorWatch(before).start()
    except StartupError as error:
        watch.stop()  # an orderly end from here: the host may close the channel once it has read why
        log.error("%s: %s", error.code, error.message)
        _write_lines(args.handshake_fd, [{"error": {"code": error.code, "message": error.message}}])
        return 1
    driver = config["driver"]
    capabilities = capability_report(driver["options"], engine.model, driver.get("activation_dtype", "bfloat16"))
    from .server import Server
    server = Server(engine, capabilities, FrameReader(args.request_fd, spin_budget_us(driver)), FrameWriter(args.response_fd))

    def terminate(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)
    # Serving before ready: a host may close the channel as soon as it reads ready, and that
    # close must find the request loop's orderly end, not a runtime still starting.
    watch.serving()
    _write_lines(args.handshake_fd, [
        {"capabilities": capabilities, "pid": os.getpid(),
         "engine": {"name": engine.engine_name, "version": engine.engine_version}},
        {"ready": True},
    ])
    log.info("ready: %s %s on %s", engine.engine_name, engine.engine_version, config.get("device", "?"))
    try:
        server.serve()
    finally:
        engine.shutdown()
        watch.stop()
    return 0
