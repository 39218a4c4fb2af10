from __future__ import annotations

import pytest

from workers import catalog
from workers.lessons.params import SubstitutionError, substitute
from workers.trace.streams import result_of

CODE = """from multiprocessing import Lock

tickets = 1  # data.json 里放几张票
use_lock = False


def run(i):
    tickets = 5  # a local of the same name is not the parameter
    print('用户%s' % i)


if __name__ == '__main__':
    print(tickets, use_lock)
"""


def test_substitute_writes_each_value_into_its_top_level_line() -> None:
    out = substitute(CODE, {"tickets": 3, "use_lock": True})
    assert "tickets = 3  # data.json 里放几张票\n" in out
    assert "use_lock = True\n" in out
    assert "    tickets = 5  # a local" in out  # untouched
    assert out.count("\n") == CODE.count("\n")


def test_substitute_quotes_strings_with_repr() -> None:
    out = substitute("name = 'jia'\n", {"name": "it's 用户"})
    assert out == 'name = "it\'s 用户"\n'


def test_substitute_keeps_offsets_after_wide_characters_on_the_line() -> None:
    out = substitute("名 = 1; n = 2\n", {"n": 30})
    assert out == "名 = 1; n = 30\n"


@pytest.mark.parametrize(
    ("code", "values", "why"),
    [
        ("x = 1\n", {"y": 2}, "found 0"),
        ("x = 1\nx = 2\n", {"x": 3}, "found 2"),
        ("x = y = 1\n", {"x": 3}, "together with other names"),
        ("x = len('a')\n", {"x": 3}, "not assigned a literal"),
        ("x = (1,\n     2)\n", {"x": 3}, "spans several lines"),
        ("x = 1\n", {"x": [1, 2]}, "not a simple value"),
        ("def f():\n    x = 1\n", {"x": 2}, "found 0"),
    ],
)
def test_substitute_refuses_anything_but_one_plain_literal_line(
    code: str, values: dict[str, object], why: str
) -> None:
    with pytest.raises(SubstitutionError, match=why):
        substitute(code, values)


def test_every_script_lesson_has_a_line_for_each_of_its_parameters() -> None:
    for lesson_id, entry in catalog.registry().items():
        if entry.directory is None:
            continue
        files = entry.program_files(entry.lesson.validate({}))
        assert entry.entry in files, lesson_id
        assert "workers" not in files[entry.entry], lesson_id  # no import of procviz's own


def test_result_line_is_a_dict_literal_or_json_after_the_mark() -> None:
    assert result_of("RESULT {'sold': 2, 'lock': False}") == {"sold": 2, "lock": False}
    assert result_of('RESULT {"sold": 2, "lock": false}') == {"sold": 2, "lock": False}
    for line in ("RESULT", "RESULT [1, 2]", "RESULT {1: 2}", "RESULTS {}", "RESULT {oops", "x"):
        assert result_of(line) is None, line
