"""Replay history, fork, eviction and lookahead against the reference model of the design."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replay_check import EDGE_PROGRAMS, PROGRAMS, run_program


@pytest.mark.parametrize("program, lookahead, bound", EDGE_PROGRAMS)
def test_edges_answer_as_the_reference_model(program, lookahead, bound):
    run_program(program, lookahead, bound)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(program=PROGRAMS, lookahead=st.sampled_from([1, 4, 16]), bound=st.sampled_from([2, 3, 100]))
def test_random_programs_answer_as_the_reference_model(program, lookahead, bound):
    run_program(program, lookahead, bound)
