"""Known bugs, planted one at a time by rewriting one line of the runtime's source in memory: the
reference-model checks must catch every one. A planted bug that passes means the checks are blind
to it.

Left out as equivalent: a fork that copies the parent's whole token list rather than its prefix
while the parent holds exactly its written tokens (`confirmed` = its length, which `length` may
not pass). And anything that only changes when a stream is continued (the run-ahead bound), which
changes how much the engine computes, never an answer: the benchmark measures that."""

import inspect
import textwrap

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pie_trtllm_runtime import engine as engine_module
from pie_trtllm_runtime import history as history_module
from pie_trtllm_runtime import next_decode_step as chain_module
from helpers import LOOKAHEAD_OPTIONS
from replay_check import EDGE_PROGRAMS, PROGRAMS, run_program
from test_next_decode_step import ACTIONS, check_random_decode_loop

# (module, class, method, text in the source, what replaces it)
MUTATIONS = {
    "fork shares the parent's list": (history_module, "HistoryStore", "fork", "child.tokens = parent.tokens[:length]", "child.tokens = parent.tokens"),
    "fork allowed one past the written prefix": (history_module, "HistoryStore", "fork", "length > parent.confirmed", "length > parent.confirmed + 1"),
    "LRU evicts the most recent": (history_module, "HistoryStore", "adopt", "contexts.popitem(last=False)", "contexts.popitem(last=True)"),
    "evictions of re-created contexts reported": (history_module, "HistoryStore", "drain_evicted", "if i not in contexts]", "]"),
    "prompt not cut at the prefix": (history_module, "Context", "prompt", "return self.tokens[:prefix_len]", "return list(self.tokens)"),
    "an equal token re-sent truncates": (history_module, "Context", "_write", "if history[index] != token:", "if True:"),
    "a gap of one is let through": (history_module, "Context", "merge", "if position > end:", "if position > end + 1:"),
    "a divergent token keeps the stream": (engine_module, "Engine", "_follows", "if changed is not None:", "if False:"),
    "a stream is checked one written token short": (engine_module, "Engine", "_follows", "range(max(before, stream.base), context.confirmed)", "range(max(before, stream.base), context.confirmed - 1)"),
    "a stream starts one token short of its prompt": (engine_module, "Engine", "_new_stream", "context.prompt(prefix_len)", "context.prompt(prefix_len - 1)"),
    "a different token does not truncate": (history_module, "Context", "_write", "del history[index:]  # what followed belonged to another continuation", "del history[index:index + 1]"),
    "reuse does not refresh recency": (engine_module, "Engine", "_serve_wave", "move_to_end(context_id)  # most recently used", "pass"),
    "a decode hit is not recorded as written": (engine_module, "Engine", "commit_lookahead", "context.confirmed += 1", "pass"),
    "a decode hit answers the wrong offset": (engine_module, "Engine", "lookahead_answers", "answers[i] = stream.token_at(position + 1)", "answers[i] = stream.token_at(position)"),
    "steps answered ahead are not recorded as written": (chain_module, "DecodeChain", "end", "context.confirmed = last + 1", "context.confirmed = last"),
    "a chain runs one step past its buffers": (chain_module, "DecodeChain", "answered", "if self._taken >= self._length:", "if self._taken > self._length:"),
    "a chain answers one token late": (chain_module, "", "_steps_covered", "start = position + 1 - stream.base", "start = position + 2 - stream.base"),
}


def plant(monkeypatch, module, class_name, method, old, new):
    cls = getattr(module, class_name) if class_name else module
    original = inspect.getattr_static(cls, method)
    function = original.__func__ if isinstance(original, staticmethod) else original
    source = textwrap.dedent(inspect.getsource(function))
    assert source.count(old) == 1, "the planted line must name one place: %r" % old
    namespace = {}
    exec(compile(source.replace(old, new), inspect.getsourcefile(function), "exec"), vars(module), namespace)
    mutated = namespace[method]
    monkeypatch.setattr(cls, method, staticmethod(mutated) if isinstance(original, staticmethod) else mutated)


# No shrinking: a planted bug only has to be caught, not explained.
FIND = dict(deadline=None, derandomize=True, database=None, phases=[Phase.generate])


@settings(max_examples=400, **FIND)
@given(program=PROGRAMS, options=LOOKAHEAD_OPTIONS, bound=st.sampled_from([2, 3, 100]))
def replay_property(program, options, bound):
    run_program(program, options, bound)


@settings(max_examples=200, **FIND)
@given(actions=ACTIONS, options=LOOKAHEAD_OPTIONS, width=st.sampled_from([1, 3, 36]), bound=st.sampled_from([None, 1, 2]))
def decode_property(actions, options, width, bound):
    check_random_decode_loop(actions, options, width, bound)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_planted_bug_is_caught(monkeypatch, name):
    plant(monkeypatch, *MUTATIONS[name])
    caught = []
    def edges():
        for program, options, bound in EDGE_PROGRAMS:
            run_program(program, options, bound)

    for check in (edges, replay_property, decode_property):
        try:
            check()
        except Exception as failure:  # any failure of the checks counts (assertions, hypothesis's groups)
            caught.append(type(failure).__name__)
            break
    assert caught, "planted bug %r passed the reference-model checks" % name
