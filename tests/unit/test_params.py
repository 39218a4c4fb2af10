from __future__ import annotations

import pytest

from workers import catalog
from workers.catalog import ParamError

ZOMBIE = catalog.registry()["zombie"].lesson


def test_validate_fills_defaults() -> None:
    assert ZOMBIE.validate({}) == {
        "speed": 1.0,
        "start_method": "fork",
        "step": False,
        "parent_sleep": 3.0,
    }


def test_validate_accepts_integers_for_numbers() -> None:
    assert ZOMBIE.validate({"speed": 2})["speed"] == 2


@pytest.mark.parametrize(
    ("raw", "field", "why"),
    [
        ({"speed": 10000}, "speed", "≤ 20"),
        ({"speed": 0}, "speed", "≥ 0.1"),
        ({"speed": "fast"}, "speed", "must be a number"),
        ({"speed": True}, "speed", "must be a number"),
        ({"speed": float("nan")}, "speed", "finite"),
        ({"start_method": "teleport"}, "start_method", "one of fork, spawn, forkserver"),
        ({"colour": "red"}, "colour", "unknown parameter"),
    ],
)
def test_validate_names_the_field_and_why(raw: dict[str, object], field: str, why: str) -> None:
    with pytest.raises(ParamError) as info:
        ZOMBIE.validate(raw)
    assert info.value.field == field
    assert why in info.value.reason


def test_integer_params_refuse_fractions_and_booleans() -> None:
    p = catalog.Param("n", "integer", 1, {"en": "count", "zh": "个数"}, 1, 64)
    assert p.validate(3.0) == 3
    for bad in (2.5, True, "3", 65, 0):
        with pytest.raises(ParamError):
            p.validate(bad)


def test_every_lesson_has_both_languages_and_its_result_keys() -> None:
    for lesson_id, entry in catalog.registry().items():
        lesson = entry.lesson
        assert lesson.id == lesson_id
        for text in (lesson.title, lesson.summary, lesson.watch, lesson.punchline):
            assert set(text) == {"en", "zh"}, lesson_id
        assert lesson.result_keys
        lesson.validate({})  # every default is valid
        for param in lesson.all_params:
            described = param.schema()["x-description"]
            assert set(described) == {"en", "zh"} and all(described.values()), param.name
