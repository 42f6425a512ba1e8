"""Replay history, fork, eviction and lookahead against the reference model of the design."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import LOOKAHEAD_OPTIONS, EngineClock
from replay_check import EDGE_PROGRAMS, PROGRAMS, run_program


@pytest.mark.parametrize("program, options, bound", EDGE_PROGRAMS)
def test_edges_answer_as_the_reference_model(program, options, bound):
    run_program(program, options, bound)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(program=PROGRAMS, options=LOOKAHEAD_OPTIONS, bound=st.sampled_from([2, 3, 100]))
def test_random_programs_answer_as_the_reference_model(program, options, bound):
    run_program(program, options, bound)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(program=PROGRAMS, options=LOOKAHEAD_OPTIONS, bound=st.sampled_from([2, 3, 100]))
def test_random_programs_with_the_engine_clock_on_answer_as_the_reference_model(program, options, bound):
    # Streams now run while requests come: tokens arrive one an iteration, continuations and
    # aborts race the program. Every answer must still be the reference model's.
    with EngineClock(1):
        counted = run_program(program, options, bound)
    assert counted["calls"] == 0 or counted["executor"]["iterations"] > 0  # the clocked executor ran them
