"""The limits the host and the runtime must agree on, from the table both test suites read."""

import json
import os

from pie_trtllm_runtime import framing, server

LIMITS = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "shared-limits.json")))


def test_the_runtime_reads_frames_up_to_the_shared_limit():
    assert framing.MAX_FRAME_BYTES == LIMITS["max_frame_bytes"]


def test_the_runtime_echoes_an_id_one_below_the_limit_and_refuses_the_limit_itself():
    from helpers import engine

    limit = LIMITS["json_safe_id_limit"]
    runtime = server.Server(engine(), {}, None, None)
    assert runtime.reply_to(json.dumps({"id": limit - 1, "op": "no-such-op"}).encode())["id"] == limit - 1
    refused = runtime.reply_to(json.dumps({"id": limit, "op": "no-such-op"}).encode())
    assert refused["id"] is None and refused["error"]["code"] == "INVALID_REQUEST"


def test_the_runtime_gives_each_sampler_of_the_shared_table_its_verdict():
    from helpers import batch, engine

    from pie_trtllm_runtime.batch import parse_batch
    from pie_trtllm_runtime.codes import RequestError

    e = engine()
    verdicts = []
    for case in LIMITS["samplers"]:
        (result,) = e.forward(parse_batch(batch([(1, [1, 2], 0, case["sampler"])])))
        e.release([1])
        verdicts.append(result.code if isinstance(result, RequestError) else "OK")
    assert verdicts == [case["verdict"] for case in LIMITS["samplers"]]
