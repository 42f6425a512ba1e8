"""Known bugs, planted one at a time by rewriting one line of the runtime's source in memory: the
reference-model checks must catch every one. A planted bug that passes means the checks are blind
to it.

Left out as equivalent: a spent lookahead buffer that is not dropped (its next offset lies past
its end, so it never answers; the engine's decode path and a decode chain drop it only to hold no
dead reference). And a fork that copies the parent's whole token list rather than its prefix.
The copy's tail lies past the child's written prefix (`confirmed`), which the runtime never treats
as written: a request overwrites or truncates it and prompts are cut at the request's position, so
no answer can differ."""

import inspect
import textwrap

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pie_trtllm_runtime import engine as engine_module
from pie_trtllm_runtime import history as history_module
from pie_trtllm_runtime import next_decode_step as chain_module
from replay_check import EDGE_PROGRAMS, PROGRAMS, run_program
from test_next_decode_step import ACTIONS, check_random_decode_loop

# (module, class, method, text in the source, what replaces it)
MUTATIONS = {
    "fork shares the parent's list": (history_module, "HistoryStore", "fork", "child.tokens = parent.tokens[:length]", "child.tokens = parent.tokens"),
    "fork allowed past the written prefix": (history_module, "HistoryStore", "fork", "length > parent.confirmed", "length > len(parent.tokens)"),
    "LRU evicts the most recent": (history_module, "HistoryStore", "adopt", "contexts.popitem(last=False)", "contexts.popitem(last=True)"),
    "evictions of re-created contexts reported": (history_module, "HistoryStore", "drain_evicted", "if i not in contexts]", "]"),
    "prompt not cut at the prefix": (history_module, "Context", "prompt", "tokens if prefix_len == len(tokens) else tokens[:prefix_len]", "tokens"),
    "an equal token re-sent truncates": (history_module, "Context", "record_generation", "if prefix_len < self.confirmed:", "if False:"),
    "a gap of one is let through": (history_module, "Context", "merge", "if position > end:", "if position > end + 1:"),
    "a divergent token keeps the lookahead": (history_module, "Context", "_write", "self.lookahead = None\n", "pass\n"),
    "a different token does not truncate": (history_module, "Context", "_write", "del history[index:]  # what followed belonged to another continuation", "del history[index:index + 1]"),
    "reuse does not refresh recency": (engine_module, "Engine", "_run_wave", "move_to_end(context_id)  # most recently used", "pass"),
    "a decode hit is not recorded as written": (engine_module, "Engine", "commit_lookahead", "context.confirmed += 1", "pass"),
    "a lookahead hit answers the wrong offset": (engine_module, "Engine", "lookahead_answers", "answers[i] = ahead[offset]", "answers[i] = ahead[offset - 1] if offset else ahead[0]"),
    "steps answered ahead are not recorded as written": (chain_module, "DecodeChain", "end", "context.confirmed = last + 1", "context.confirmed = last"),
    "a chain runs one step past its buffers": (chain_module, "DecodeChain", "answered", "if self._taken >= self._length:", "if self._taken > self._length:"),
    "a chain answers one token late": (chain_module, "", "_steps_covered", "start = position + 1 - buffer.base", "start = position + 2 - buffer.base"),
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
@given(program=PROGRAMS, lookahead=st.sampled_from([1, 4, 16]), bound=st.sampled_from([2, 3, 100]))
def replay_property(program, lookahead, bound):
    run_program(program, lookahead, bound)


@settings(max_examples=200, **FIND)
@given(actions=ACTIONS, lookahead=st.sampled_from([2, 4, 16]), width=st.sampled_from([1, 3, 36]), bound=st.sampled_from([None, 1, 2]))
def decode_property(actions, lookahead, width, bound):
    check_random_decode_loop(actions, lookahead, width, bound)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_planted_bug_is_caught(monkeypatch, name):
    plant(monkeypatch, *MUTATIONS[name])
    caught = []
    def edges():
        for program, lookahead, bound in EDGE_PROGRAMS:
            run_program(program, lookahead, bound)

    for check in (edges, replay_property, decode_property):
        try:
            check()
        except Exception as failure:  # any failure of the checks counts (assertions, hypothesis's groups)
            caught.append(type(failure).__name__)
            break
    assert caught, "planted bug %r passed the reference-model checks" % name
