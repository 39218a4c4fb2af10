"""The question board (app/predictions.py) on its own: votes, refusals, the lobby's pace, runs."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.lobby import Lobby
from app.predictions import BadAnswer, Board, NotAQuestion, QuestionNotFound, VoteRefused
from app.records import Event
from app.runs import LessonNotFound
from tests.loops import run_alone


class CountingLobby(Lobby):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[dict[str, Any] | None] = []

    def set_question(self, question: dict[str, Any] | None) -> None:
        self.published.append(question)
        super().set_question(question)


@dataclass
class FakeHub:
    events: list[Event] = field(default_factory=list)

    def event(self, event: Event) -> None:
        self.events.append(event)


@dataclass
class FakeRun:
    id: str
    lesson: str
    hub: FakeHub = field(default_factory=FakeHub)


def on_loop(test: Callable[[], None]) -> Callable[[], None]:
    """Run a test on an event loop, as the server runs the board."""

    @functools.wraps(test)
    def run() -> None:
        async def body() -> None:
            test()

        run_alone(body())

    return run


@on_loop
def test_refused_votes_and_questions_change_nothing() -> None:
    board = Board(CountingLobby())
    with pytest.raises(LessonNotFound):
        board.open("nope", "sold")
    with pytest.raises(NotAQuestion, match="it asks: sold, tickets-left"):
        board.open("ticket-race", "nope")
    assert board.current is None and not board.asked
    q = board.open("ticket-race", "sold")
    board.vote(q.id, "a" * 32, 3)
    before = q.public()
    for viewer, answer, error in [
        ("a" * 32, 4, VoteRefused),  # a second vote
        ("b" * 32, 11, BadAnswer),
        ("b" * 32, "3", BadAnswer),
    ]:
        with pytest.raises(error):
            board.vote(q.id, viewer, answer)
    with pytest.raises(QuestionNotFound):
        board.vote("q-nope", "b" * 32, 3)
    assert q.public() == before and q.public("a" * 32)["mine"] == "3"


def test_votes_in_a_burst_reach_the_lobby_as_few_messages_with_every_count() -> None:
    async def burst() -> CountingLobby:
        lobby = CountingLobby()
        board = Board(lobby, publish_period=0.2)
        q = board.open("ticket-race", "sold")
        for i in range(50):
            board.vote(q.id, f"{i:032x}", i % 11)
        await asyncio.sleep(0.5)  # past one period: the last counts are out
        return lobby

    lobby = run_alone(burst())
    published = [m for m in lobby.published if m is not None]
    assert published[0]["votes"] == 0  # asked: at once
    assert published[-1]["votes"] == 50 and sum(published[-1]["counts"].values()) == 50
    assert len(published) <= 4, [m["votes"] for m in published]  # not one per vote


@on_loop
def test_a_run_of_the_lesson_takes_the_question_and_its_result_answers() -> None:
    board = Board(CountingLobby())
    q = board.open("daemon", "second-line")
    board.vote(q.id, "a" * 32, "no")
    other = FakeRun("r-0", "zombie")
    board.started(other)  # another lesson's run: not asked about
    assert q.run is None and q.state == "open" and other.hub.events == []

    run = FakeRun("r-1", "daemon")
    board.started(run)
    assert (q.state, q.run) == ("closed", "r-1")
    with pytest.raises(VoteRefused, match="ended"):
        board.vote(q.id, "b" * 32, "yes")
    board.event(run, Event(pid=5, kind="stdout", data={"line": "egon总管正在活着"}))
    board.event(run, Event(pid=5, kind="result", data={"daemon_finished": False}))
    told = [e.data for e in run.hub.events if e.kind == "prediction"]
    assert [d["state"] for d in told] == ["closed", "revealed"]
    assert (told[-1]["answer"], told[-1]["answer_key"], told[-1]["correct"]) == (False, "no", 1)
    assert all(e.pid == 0 for e in run.hub.events)  # the server's, no process of the run's


@on_loop
def test_a_run_that_ends_without_a_result_leaves_the_question_closed_and_forgotten() -> None:
    board = Board(CountingLobby())
    q = board.open("join", "parallel-seconds")
    run = FakeRun("r-2", "join")
    board.started(run)
    board.ended(run)
    assert q.state == "closed" and q.answer is None and board.by_run == {}
    board.event(run, Event(pid=1, kind="result", data={"parallel_seconds": 3.0}))
    assert q.state == "closed"  # a result after the end answers nothing
