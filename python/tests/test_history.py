import pytest

from pie_trtllm_runtime.codes import INVALID_REQUEST, MISSING_REPLAY_PREFIX, RequestError
from pie_trtllm_runtime.history import HistoryStore


def test_merge_appends_and_keeps_equal_tokens():
    store = HistoryStore(4)
    ctx = store.touch(1)
    ctx.merge([0, 1, 2], [10, 11, 12])
    ctx.merge([1, 2, 3], [11, 12, 13])
    assert ctx.tokens == [10, 11, 12, 13]


def test_divergent_token_truncates_and_says_where():
    store = HistoryStore(4)
    ctx = store.touch(1)
    assert ctx.merge([0, 1, 2, 3], [10, 11, 12, 13]) is None  # only new positions
    assert ctx.merge([1, 2], [11, 12]) is None  # the same tokens again
    assert ctx.merge([2], [99]) == 2
    assert ctx.tokens == [10, 11, 99] and ctx.confirmed == 3
    assert ctx.merge([1, 2, 3], [11, 98, 5]) == 2  # the first changed position of several


def test_a_replay_from_zero_over_a_trimmed_history_changes_from_zero():
    store = HistoryStore(4, max_tokens=2)
    ctx = store.touch(1)
    ctx.merge([0, 1, 2], [10, 11, 12])
    ctx.trim(2)
    assert ctx.offset == 1
    assert ctx.merge([0, 1, 2], [10, 11, 12]) == 0 and ctx.offset == 0


def test_gap_fails_the_request_and_leaves_history_untouched():
    store = HistoryStore(4)
    ctx = store.touch(1)
    ctx.merge([0, 1], [10, 11])
    with pytest.raises(RequestError) as error:
        ctx.merge([2, 4], [12, 14])
    assert error.value.code == MISSING_REPLAY_PREFIX
    assert "only holds 2 tokens" in error.value.message
    assert ctx.tokens == [10, 11]


def test_lru_bound_evicts_oldest():
    store = HistoryStore(2)
    store.touch(1).merge([0], [1])
    store.touch(2).merge([0], [2])
    store.touch(1)  # 1 is now most recent
    store.touch(3)
    assert store.get(2) is None and store.get(1) is not None and store.get(3) is not None
    assert store.evictions == 1
    assert len(store) == 2


def test_release_frees_contexts():
    store = HistoryStore(4)
    store.touch(1)
    store.touch(2)
    assert store.release([1, 9]) == 1
    assert store.get(1) is None and len(store) == 1


def test_fork_copies_the_parent_prefix():
    store = HistoryStore(4)
    store.touch(7).merge([0, 1, 2, 3], [5, 6, 7, 8])
    child = store.fork(7, 9, 3)
    assert child.tokens == [5, 6, 7]
    child.merge([3], [50])
    assert store.get(7).tokens == [5, 6, 7, 8]


def test_fork_without_prefix_or_parent_is_refused():
    store = HistoryStore(4)
    store.touch(7).merge([0, 1], [5, 6])
    with pytest.raises(RequestError) as error:
        store.fork(7, 9, 5)
    assert error.value.code == MISSING_REPLAY_PREFIX
    with pytest.raises(RequestError) as error:
        store.fork(8, 9, 1)
    assert error.value.code == MISSING_REPLAY_PREFIX
    with pytest.raises(RequestError) as error:
        store.fork(7, 9, -1)
    assert error.value.code == INVALID_REQUEST


def test_trimmed_history_never_builds_a_wrong_prompt():
    store = HistoryStore(4, max_tokens=3)
    ctx = store.touch(1)
    ctx.merge([0, 1, 2, 3], [10, 11, 12, 42])
    ctx.trim(3)
    assert ctx.offset == 1 and ctx.tokens == [11, 12, 42] and ctx.confirmed == 4
    ctx.trim(3)  # at the bound: nothing more goes
    assert ctx.offset == 1
    ctx.merge([3], [42])  # Pie feeds a token back at its absolute position
    assert ctx.tokens == [11, 12, 42]
    with pytest.raises(RequestError) as error:
        ctx.prompt(4)
    assert error.value.code == MISSING_REPLAY_PREFIX
    # A replay from position 0 rebuilds the history exactly.
    ctx.merge([0, 1, 2, 3], [10, 11, 12, 42])
    assert ctx.offset == 0 and ctx.prompt(4) == [10, 11, 12, 42]


def test_max_contexts_must_be_positive():
    with pytest.raises(ValueError):
        HistoryStore(0)


def test_a_prompt_is_a_copy_cut_at_the_prefix():
    store = HistoryStore(4)
    ctx = store.touch(1)
    ctx.merge([0, 1, 2], [10, 11, 12])
    whole, head = ctx.prompt(3), ctx.prompt(2)
    assert whole == [10, 11, 12] and head == [10, 11]
    ctx.merge([3], [13])
    assert whole == [10, 11, 12]  # a prompt handed to the engine never changes under it
    with pytest.raises(RequestError) as error:
        ctx.prompt(5)
    assert error.value.code == MISSING_REPLAY_PREFIX


def test_dropping_a_context_with_a_stream_tells_the_owner():
    dropped = []
    store = HistoryStore(2, on_drop=lambda context: dropped.append(context.context_id))
    for context_id in (1, 2):
        store.touch(context_id).stream = object()
    store.touch(3)  # evicts 1
    store.release([2])
    store.touch(4).merge([0], [5])
    store.fork(4, 3, 1)  # 3 had no stream: nothing to tell
    store.get(3).stream = object()
    store.fork(4, 3, 1)  # now it had one
    assert dropped == [1, 2, 3]


def test_truncation_lowers_what_was_written():
    store = HistoryStore(4)
    ctx = store.touch(1)
    ctx.merge([0, 1, 2, 3], [1, 2, 3, 4])
    ctx.merge([1], [9])
    assert ctx.tokens == [1, 9] and ctx.confirmed == 2
    with pytest.raises(RequestError):
        ctx.merge([3], [4])
