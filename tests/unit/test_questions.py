"""The lessons' questions: votes on their scales, answers read from a run, lessons that match."""

from __future__ import annotations

import pytest

from workers import catalog
from workers.questions import Choice, FirstLine, FromResult, choice, number, number_key

SECONDS = number("s", {"en": "?", "zh": "？"}, "t", 0, 10, 0.5)
LINES = choice(
    "first",
    {"en": "?", "zh": "？"},
    FirstLine(),
    Choice("main", {"en": "main", "zh": "主"}, line="主"),
    Choice("jia", {"en": "jia", "zh": "jia"}, line="running jia"),
)
YES_NO = choice(
    "yn",
    {"en": "?", "zh": "？"},
    FromResult("done"),
    Choice("yes", {"en": "yes", "zh": "是"}, value=True),
    Choice("no", {"en": "no", "zh": "否"}, value=False),
)


def test_number_key_spells_each_number_once() -> None:
    assert [number_key(v) for v in (3.0, 2.5, -15, 0.1 + 0.2, 1e-12)] == [
        "3",
        "2.5",
        "-15",
        "0.3",
        "0",
    ]


def test_a_number_vote_counts_on_the_scale_or_says_why_not() -> None:
    assert SECONDS.bins()[:3] == ["0", "0.5", "1"] and len(SECONDS.bins()) == 21
    assert SECONDS.key_of_vote(2.5) == "2.5" and SECONDS.key_of_vote(3) == "3"
    for bad, why in [(10.5, "between"), (0.25, "multiple"), (True, "number"), ("3", "number")]:
        with pytest.raises(ValueError, match=why):
            SECONDS.key_of_vote(bad)
    with pytest.raises(ValueError, match="between"):
        SECONDS.key_of_vote(float("nan"))


def test_a_measured_number_falls_into_the_nearest_bin_or_none() -> None:
    assert SECONDS.key_of_answer(3.012) == "3" and SECONDS.key_of_answer(2.8) == "3"
    assert SECONDS.key_of_answer(2.7) == "2.5"
    assert SECONDS.key_of_answer(12.0) is None and SECONDS.key_of_answer(None) is None
    assert SECONDS.key_of_answer(True) is None  # a boolean is no measurement


def test_a_choice_is_answered_by_a_result_value_or_a_first_line() -> None:
    assert YES_NO.key_of_answer(YES_NO.answer_from.read({"done": False}, [])) == "no"
    assert YES_NO.key_of_answer(1) is None  # 1 is not True here
    assert LINES.answers_line("running jia") and not LINES.answers_line("over jia")
    assert LINES.key_of_answer(LINES.answer_from.read({}, ["主", "running jia"])) == "main"
    assert LINES.key_of_answer(LINES.answer_from.read({}, [])) is None
    with pytest.raises(ValueError, match="one of main, jia"):
        LINES.key_of_vote("yi")


def test_a_question_that_cannot_be_asked_is_refused_when_defined() -> None:
    with pytest.raises(ValueError, match="two choices"):
        choice("c", {"en": "?"}, FromResult("k"), Choice("a", {"en": "a"}))
    with pytest.raises(ValueError, match="minimum < maximum"):
        number("n", {"en": "?"}, "k", 5, 5)


@pytest.mark.parametrize("lesson_id", list(catalog.registry()))
def test_every_lesson_asks_a_question_its_run_can_answer(lesson_id: str) -> None:
    entry = catalog.registry()[lesson_id]
    lesson = entry.lesson
    assert 1 <= len(lesson.questions) <= 2
    source = entry.files()[entry.entry]
    for q in lesson.questions:
        assert set(q.text) == {"en", "zh"} and all(set(c.text) == {"en", "zh"} for c in q.choices)
        if isinstance(q.answer_from, FromResult):
            assert q.answer_from.key in lesson.result_keys, q.id
        else:  # each line it waits for begins as one the lesson's code prints ('running %s')
            assert all(f"print('{(c.line or '?').split()[0]}" in source for c in q.choices), q.id
