"""Run states and the transitions allowed between them, in one place."""

from __future__ import annotations

import enum


class RunState(enum.StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"
    # Its server died mid-run (found so at the next start-up): the recording holds
    # everything up to the last second before the crash.
    INTERRUPTED = "interrupted"

    @property
    def ended(self) -> bool:
        return self in ENDED


ENDED = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.FAILED, RunState.INTERRUPTED})


TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.STARTING: frozenset(
        {RunState.RUNNING, RunState.STOPPED, RunState.FAILED, RunState.INTERRUPTED}
    ),
    RunState.RUNNING: frozenset(
        {RunState.FINISHED, RunState.STOPPED, RunState.FAILED, RunState.INTERRUPTED}
    ),
    RunState.FINISHED: frozenset(),
    RunState.STOPPED: frozenset(),
    RunState.FAILED: frozenset(),
    RunState.INTERRUPTED: frozenset(),
}


class InvalidTransition(RuntimeError):
    def __init__(self, current: RunState, wanted: RunState) -> None:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        super().__init__(f"a run cannot go from {current} to {wanted} (allowed: {allowed})")
        self.current = current
        self.wanted = wanted


def check_transition(current: RunState, wanted: RunState) -> RunState:
    if wanted not in TRANSITIONS[current]:
        raise InvalidTransition(current, wanted)
    return wanted
