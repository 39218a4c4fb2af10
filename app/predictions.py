"""Predict, then run: the presenter asks one of a lesson's questions, the class votes, the run answers.

One question is current at a time (the lobby's). Voting is open until the presenter closes
it or starts a run of its lesson: that run takes the question (a prediction is made before
the run), and its ``result`` reveals the answer. Only counts ever leave the server, never
who voted what; a viewer is an anonymous id in a cookie the server gives (one vote each).

The question reaches viewers as ``{"type": "prediction", "question": Q}`` on the lobby
WebSocket (at most ``PUBLISH_PERIOD`` apart, the newest counts) and, once a run takes
it, as an ``event`` of kind ``prediction`` (``data`` = Q) in that run's stream, so its
history, late viewers and recording (and so replay) have it like any event.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from app.lobby import Lobby
from app.records import Event
from app.runs import LessonNotFound, Run
from workers import catalog
from workers.questions import Question

PUBLISH_PERIOD = 0.2  # seconds between two lobby messages while votes pour in
MAX_KEPT = 32  # questions remembered (GET /api/questions/{id}); older ones are forgotten
MAX_VOTES = 10_000  # per question: a hall, many times over
SERVER_PID = 0  # the pid of a ``prediction`` event: the server's, no process of the run's
VIEWER_COOKIE = "procviz_viewer"


class QuestionState(enum.StrEnum):
    OPEN = "open"  # the class votes
    CLOSED = "closed"  # no more votes; a run of its lesson may have taken it
    REVEALED = "revealed"  # the run's result gave the answer


TRANSITIONS = {
    QuestionState.OPEN: {QuestionState.CLOSED},
    QuestionState.CLOSED: {QuestionState.REVEALED},
    QuestionState.REVEALED: set(),
}


class QuestionNotFound(LookupError):
    pass


class NotAQuestion(ValueError):
    """The lesson asks no question of that id (422 naming ``question``)."""


class VoteRefused(RuntimeError):
    """A second vote, or a vote on a closed question (409); ``field`` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BadAnswer(ValueError):
    """The answer does not fit the question (422 naming ``answer``)."""


def new_viewer_id() -> str:
    return secrets.token_hex(16)


def valid_viewer_id(value: str | None) -> bool:
    return value is not None and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@dataclass
class Asked:
    """One question as asked: its votes by viewer, counted per key, and the run's answer."""

    id: str
    lesson: str
    spec: Question
    opened: float = field(default_factory=time.time)
    state: QuestionState = QuestionState.OPEN
    closed: float | None = None
    run: str | None = None
    voters: dict[str, str] = field(default_factory=dict)  # viewer id -> key voted for
    counts: dict[str, int] = field(default_factory=dict)
    first_line: tuple[float, str] | None = None  # (t, line): the earliest that answers
    answer: Any = None
    answer_key: str | None = None

    def __post_init__(self) -> None:
        self.counts = dict.fromkeys(self.spec.bins(), 0)

    def move(self, state: QuestionState) -> None:
        if state not in TRANSITIONS[self.state]:
            raise VoteRefused(
                "question", f"question {self.id} is {self.state}, it cannot be {state}"
            )
        self.state = state
        if state is QuestionState.CLOSED:
            self.closed = time.time()

    def public(self, viewer: str | None = None) -> dict[str, Any]:
        """What anyone may see: the question and the counts (``mine``: this viewer's vote)."""
        return {
            **spec_public(self.spec),
            "id": self.id,
            "lesson": self.lesson,
            "key": self.spec.id,
            "state": str(self.state),
            "opened": self.opened,
            "closed": self.closed,
            "run": self.run,
            "votes": len(self.voters),
            "counts": dict(self.counts),
            "answer": self.answer,
            "answer_key": self.answer_key,
            "correct": self.counts.get(self.answer_key, 0) if self.answer_key else None,
            "mine": self.voters.get(viewer) if viewer else None,
        }


def spec_public(q: Question) -> dict[str, Any]:
    """A lesson's question as the page offers it (``QuestionSpec``)."""
    number = q.kind == "number"
    return {
        "id": q.id,
        "kind": q.kind,
        "text": dict(q.text),
        "unit": dict(q.unit) or None,
        "minimum": q.minimum if number else None,
        "maximum": q.maximum if number else None,
        "step": q.step if number else None,
        "choices": [{"id": c.id, "text": dict(c.text)} for c in q.choices],
        "answer_from": q.answer_from.describe(),
    }


def question_spec(lesson_id: str, question_id: str) -> Question:
    entry = catalog.get(lesson_id)
    if entry is None:
        raise LessonNotFound(lesson_id)
    for q in entry.lesson.questions:
        if q.id == question_id:
            return q
    ids = ", ".join(q.id for q in entry.lesson.questions) or "none"
    raise NotAQuestion(f"lesson {lesson_id} asks no question {question_id!r}; it asks: {ids}")


class Board:
    """The questions asked on this server; a run manager's observer (``started``, ``event``)."""

    def __init__(self, lobby: Lobby, publish_period: float = PUBLISH_PERIOD) -> None:
        self.lobby = lobby
        self.publish_period = publish_period
        self.asked: OrderedDict[str, Asked] = OrderedDict()
        self.current: Asked | None = None
        self.by_run: dict[str, Asked] = {}  # runs that took a question, until their result
        self._published_at = 0.0
        self._pending: asyncio.TimerHandle | None = None

    def get(self, question_id: str) -> Asked:
        try:
            return self.asked[question_id]
        except KeyError:
            raise QuestionNotFound(question_id) from None

    def open(self, lesson_id: str, question_id: str) -> Asked:
        """Ask a lesson's question; it becomes current (an open one before it is closed)."""
        spec = question_spec(lesson_id, question_id)
        if self.current is not None and self.current.state is QuestionState.OPEN:
            self.current.move(QuestionState.CLOSED)
        asked = Asked("q-" + secrets.token_hex(6), lesson_id, spec)
        self.asked[asked.id] = asked
        while len(self.asked) > MAX_KEPT:
            self.asked.popitem(last=False)
        self.current = asked
        self._publish_now()
        return asked

    def close(self, question_id: str) -> Asked:
        asked = self.get(question_id)
        if asked.state is not QuestionState.OPEN:
            raise VoteRefused("question", f"question {asked.id} is already {asked.state}")
        asked.move(QuestionState.CLOSED)
        self._publish_now()
        return asked

    def vote(self, question_id: str, viewer: str, answer: Any) -> Asked:
        """Count one viewer's answer; every refusal leaves the counts as they were."""
        asked = self.get(question_id)
        if asked.state is not QuestionState.OPEN:
            raise VoteRefused("question", f"voting on question {asked.id} has ended")
        if viewer in asked.voters:
            raise VoteRefused("viewer", "you have already answered this question (one vote each)")
        if len(asked.voters) >= MAX_VOTES:
            raise VoteRefused("question", f"question {asked.id} has its {MAX_VOTES} votes")
        try:
            key = asked.spec.key_of_vote(answer)
        except ValueError as exc:
            raise BadAnswer(str(exc)) from None
        asked.voters[viewer] = key
        asked.counts[key] += 1
        self._publish_soon()
        return asked

    # -- the run manager's observer ------------------------------------------------

    def started(self, run: Run) -> None:
        """A run of the current question's lesson takes it: voting ends as the run begins."""
        asked = self.current
        if asked is None or asked.run is not None or asked.lesson != run.lesson:
            return
        if asked.state is QuestionState.OPEN:
            asked.move(QuestionState.CLOSED)
        asked.run = run.id
        self.by_run[run.id] = asked
        self._tell_run(run, asked)
        self._publish_now()

    def event(self, run: Run, event: Event) -> None:
        asked = self.by_run.get(run.id)
        if asked is None:
            return
        if event.kind == "stdout":
            # Printed first, by the processes' own clock: datagrams of two processes may
            # arrive in the other order.
            line = str(event.data.get("line", ""))
            if asked.spec.answers_line(line) and (
                asked.first_line is None or event.t < asked.first_line[0]
            ):
                asked.first_line = (event.t, line)
        elif event.kind == "result":
            del self.by_run[run.id]
            lines = [asked.first_line[1]] if asked.first_line else []
            asked.answer = asked.spec.answer_from.read(event.data, lines)
            asked.answer_key = asked.spec.key_of_answer(asked.answer)
            asked.move(QuestionState.REVEALED)
            self._tell_run(run, asked)
            self._publish_now()

    def ended(self, run: Run) -> None:
        """A run that ended without a result never answers."""
        self.by_run.pop(run.id, None)

    def _tell_run(self, run: Run, asked: Asked) -> None:
        run.hub.event(Event(pid=SERVER_PID, kind="prediction", data=asked.public()))

    # -- the lobby: latest wins, at most every publish_period ------------------------

    def _publish_now(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._published_at = time.monotonic()
        self.lobby.set_question(self.current.public() if self.current else None)

    def _publish_soon(self) -> None:
        if self._pending is not None:
            return  # the counts then will include this vote
        wait = self._published_at + self.publish_period - time.monotonic()
        if wait <= 0:
            self._publish_now()
            return
        self._pending = asyncio.get_running_loop().call_later(wait, self._publish_now)
