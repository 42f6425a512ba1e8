import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# Every test decodes under the whole-prompt greedy rule (DESIGN §3.6), so a wrong token anywhere
# in a replayed prompt changes the answer; helpers.greedy_next computes that rule from the design.
os.environ["PIE_TRTLLM_SIMULATE_RULE"] = "prompt"
# Engines built inside the test process keep TensorRT-LLM's executor in process, as TensorRT-LLM's
# own tests do; runtimes started as processes (runtime_process.py) use the worker process model.
os.environ["TLLM_WORKER_USE_SINGLE_PROCESS"] = "1"


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _engines_shut_down():
    yield
    from helpers import shut_down_all
    shut_down_all()
