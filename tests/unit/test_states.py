from __future__ import annotations

import pytest

from app.states import InvalidTransition, RunState, check_transition


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (RunState.STARTING, RunState.RUNNING),
        (RunState.STARTING, RunState.FAILED),
        (RunState.RUNNING, RunState.FINISHED),
        (RunState.RUNNING, RunState.STOPPED),
        (RunState.RUNNING, RunState.FAILED),
    ],
)
def test_check_transition_allows_the_lifecycle(current: RunState, wanted: RunState) -> None:
    assert check_transition(current, wanted) is wanted


@pytest.mark.parametrize("ended", [RunState.FINISHED, RunState.STOPPED, RunState.FAILED])
def test_check_transition_refuses_to_leave_an_ended_state(ended: RunState) -> None:
    assert ended.ended
    with pytest.raises(InvalidTransition, match=f"from {ended} to running"):
        check_transition(ended, RunState.RUNNING)


def test_check_transition_refuses_going_back_to_starting() -> None:
    with pytest.raises(InvalidTransition, match="allowed: failed, finished, interrupted, stopped"):
        check_transition(RunState.RUNNING, RunState.STARTING)
