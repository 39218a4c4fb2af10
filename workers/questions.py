"""Questions a lesson asks the class before Run ("predict, then run"), and how its run answers.

A question is a ``number`` (a guess on a scale: minimum, maximum, step) or a ``choice``
(one of a few). Its answer is read from the run: a key of the lesson's ``result`` event
(``FromResult``), or, for a choice, which of the choices' lines the run prints first
(``FirstLine``). Plain data: the server (``app.predictions``) counts the votes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["number", "choice"]
NUMBER_TOLERANCE = 1e-9  # of a step: 0.1 + 0.2 is still on a 0.1 grid


@dataclass(frozen=True)
class Choice:
    id: str
    text: Mapping[str, str]  # {"en": ..., "zh": ...}
    value: Any = None  # the result's value that means this choice (FromResult)
    line: str | None = None  # how the stdout line that means this choice begins (FirstLine)


@dataclass(frozen=True)
class FromResult:
    """The answer is ``result[key]`` (for a choice: the choice whose ``value`` it equals)."""

    key: str

    def read(self, result: Mapping[str, Any], lines: Sequence[str]) -> Any:
        return result.get(self.key)

    def describe(self) -> str:
        return f"result.{self.key}"


@dataclass(frozen=True)
class FirstLine:
    """The answer is the choice whose ``line`` begins the first such line the run prints (any
    process's stdout): ``lines`` are those lines, in the order they arrived."""

    def read(self, result: Mapping[str, Any], lines: Sequence[str]) -> Any:
        return lines[0] if lines else None

    def describe(self) -> str:
        return "first-line"


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    text: Mapping[str, str]
    answer_from: FromResult | FirstLine
    minimum: float = 0
    maximum: float = 10
    step: float = 1
    unit: Mapping[str, str] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError(f"question {self.id}: a choice needs at least two choices")
        if self.kind == "number" and (self.step <= 0 or self.maximum <= self.minimum):
            raise ValueError(f"question {self.id}: a number needs minimum < maximum, step > 0")
        if isinstance(self.answer_from, FirstLine) and self.kind != "choice":
            raise ValueError(f"question {self.id}: only a choice is answered by a first line")

    def answers_line(self, line: str) -> bool:
        """Whether a stdout line is one a FirstLine question waits for."""
        return isinstance(self.answer_from, FirstLine) and any(
            c.line is not None and line.startswith(c.line) for c in self.choices
        )

    def bins(self) -> list[str]:
        """Every key a vote can count under: the choices' ids, or each number on the scale."""
        if self.kind == "choice":
            return [c.id for c in self.choices]
        count = round((self.maximum - self.minimum) / self.step)
        return [number_key(self.minimum + i * self.step) for i in range(count + 1)]

    def key_of_vote(self, answer: Any) -> str:
        """The key a viewer's answer counts under; ValueError saying why it cannot."""
        if self.kind == "choice":
            if isinstance(answer, str) and answer in {c.id for c in self.choices}:
                return answer
            ids = ", ".join(c.id for c in self.choices)
            raise ValueError(f"must be one of {ids}")
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(answer) or not self.minimum <= answer <= self.maximum:
            raise ValueError(f"must be between {self.minimum:g} and {self.maximum:g}")
        steps = (answer - self.minimum) / self.step
        if abs(steps - round(steps)) > NUMBER_TOLERANCE * max(1.0, abs(steps)):
            raise ValueError(f"must be a multiple of {self.step:g} from {self.minimum:g}")
        return number_key(self.minimum + round(steps) * self.step)

    def key_of_answer(self, answer: Any) -> str | None:
        """Where the run's answer falls: a choice's id, the nearest number on the scale, or
        None (no answer, or off the scale)."""
        if answer is None:
            return None
        if self.kind == "choice":
            for c in self.choices:
                first_line = isinstance(self.answer_from, FirstLine) and c.line is not None
                if first_line and isinstance(answer, str) and answer.startswith(c.line or ""):
                    return c.id
                if isinstance(self.answer_from, FromResult) and _same(c.value, answer):
                    return c.id
            return None
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            return None
        if not math.isfinite(answer):
            return None
        steps = round((answer - self.minimum) / self.step)
        nearest = self.minimum + steps * self.step
        if nearest < self.minimum - NUMBER_TOLERANCE or nearest > self.maximum + NUMBER_TOLERANCE:
            return None
        return number_key(nearest)


def _same(expected: Any, actual: Any) -> bool:
    # True is not 1 here: a yes/no question's values are booleans.
    return type(expected) is type(actual) and bool(expected == actual)


def number_key(value: float) -> str:
    """One spelling per number on a scale: 3, 2.5, -15 (never 3.0 or 2.5000000001)."""
    rounded = round(value, 9)
    return str(int(rounded)) if float(rounded).is_integer() else repr(rounded)


def number(
    id: str,
    text: Mapping[str, str],
    key: str,
    minimum: float,
    maximum: float,
    step: float = 1,
    unit: Mapping[str, str] | None = None,
) -> Question:
    """A guess on a scale, answered by ``result[key]``."""
    return Question(id, "number", text, FromResult(key), minimum, maximum, step, dict(unit or {}))


def choice(
    id: str, text: Mapping[str, str], answer_from: FromResult | FirstLine, *choices: Choice
) -> Question:
    return Question(id, "choice", text, answer_from, choices=tuple(choices))


SECONDS = {"en": "seconds", "zh": "秒"}
