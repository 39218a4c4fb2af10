"""Lessons of the user's own through a real server: /api/lessons and running one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.client import Server, api, collect, log_of, presenter_token, start_program, wait_state

pytestmark = pytest.mark.integration

TICKETS = """\
import json

with open("data.json") as f:
    print("余票", json.load(f)["ticket_num"])
"""
FILES = {"main.py": TICKETS, "data.json": '{"ticket_num": 3}'}


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return presenter_token(server, log_of(server))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_lessons_create_list_get_update_delete(server: Server, token: str) -> None:
    body = {"title": {"en": "Three tickets", "zh": "三张票"}, "files": FILES}
    r = api(server, "POST", "/api/lessons", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "three-tickets" and r.json()["entry"] == "main.py"
    listed = {lesson["id"]: lesson for lesson in api(server, "GET", "/api/lessons").json()}
    assert listed["three-tickets"]["builtin"] is False
    assert listed["three-tickets"]["title"] == {"en": "Three tickets", "zh": "三张票"}
    assert listed["zombie"]["builtin"] is True and "summary" in listed["zombie"]
    got = api(server, "GET", "/api/lessons/three-tickets").json()
    assert got["files"] == FILES and got["source"] == TICKETS
    assert 'id="line-4"' in got["source_html"]
    on_disk = Path(server.data_dir) / "lessons" / "three-tickets.json"
    assert json.loads(on_disk.read_text("utf-8"))["files"] == FILES

    changed = {**FILES, "data.json": '{"ticket_num": 1}'}
    r = api(
        server, "PUT", "/api/lessons/three-tickets", json={"files": changed}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    got = api(server, "GET", "/api/lessons/three-tickets").json()
    assert got["files"] == changed and got["title"]["zh"] == "三张票"

    assert (
        api(server, "DELETE", "/api/lessons/three-tickets", headers=auth(token)).status_code == 204
    )
    assert api(server, "GET", "/api/lessons/three-tickets").status_code == 404
    assert not on_disk.exists()


def test_built_in_lessons_have_files_and_are_read_only(server: Server, token: str) -> None:
    got = api(server, "GET", "/api/lessons/ticket-race").json()
    assert got["builtin"] is True and got["entry"] in got["files"]
    assert got["files"][got["entry"]] == got["source"]
    for method in ("PUT", "DELETE"):
        body = {"files": FILES} if method == "PUT" else None
        r = api(server, method, "/api/lessons/ticket-race", json=body, headers=auth(token))
        assert r.status_code == 409 and r.json()["detail"]["field"] == "id", r.text
    r = api(
        server, "POST", "/api/lessons", json={"id": "zombie", "files": FILES}, headers=auth(token)
    )
    assert r.status_code == 409


def test_lesson_name_clash_is_409(server: Server, token: str) -> None:
    body = {"id": "clash", "files": FILES}
    assert api(server, "POST", "/api/lessons", json=body, headers=auth(token)).status_code == 201
    r = api(server, "POST", "/api/lessons", json=body, headers=auth(token))
    assert r.status_code == 409 and "clash" in r.json()["detail"]["message"]
    api(server, "DELETE", "/api/lessons/clash", headers=auth(token))


def test_changing_lessons_needs_the_token_even_on_loopback(server: Server, token: str) -> None:
    body = {"id": "nope", "files": FILES}
    for method, path in (("POST", ""), ("PUT", "/nope"), ("DELETE", "/nope")):
        r = api(server, method, f"/api/lessons{path}", json=body if method != "DELETE" else None)
        assert r.status_code == 401 and r.json()["detail"]["field"] == "token", (method, r.text)
    wrong = auth("not-" + token)
    assert api(server, "POST", "/api/lessons", json=body, headers=wrong).status_code == 401
    assert api(server, "GET", "/api/lessons/nope").status_code == 404  # nothing was saved


def test_lesson_over_the_size_limits_is_413(server: Server, token: str) -> None:
    big = {"id": "big", "files": {"main.py": "#" * (300 * 1024)}}
    r = api(server, "POST", "/api/lessons", json=big, headers=auth(token))
    assert r.status_code == 413 and r.json()["detail"]["field"] == "files.main.py", r.text
    many = {"id": "big", "files": {f"f{i}.py": "" for i in range(40)}}
    assert api(server, "POST", "/api/lessons", json=many, headers=auth(token)).status_code == 413
    # Over the route's body limit: refused before it is read.
    huge = {"id": "big", "files": {"main.py": "#" * (4 << 20)}}
    r = api(server, "POST", "/api/lessons", json=huge, headers=auth(token))
    assert r.status_code == 413 and r.json()["detail"]["field"] == "body"
    assert api(server, "GET", "/api/lessons/big").status_code == 404


def test_lesson_with_a_syntax_error_is_422_naming_file_line_and_column(
    server: Server, token: str
) -> None:
    files = {"main.py": "import util\n", "util.py": "x = 1\nif x\n"}
    body = {"id": "broken", "files": files, "entry": "main.py"}
    r = api(server, "POST", "/api/lessons", json=body, headers=auth(token))
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["field"] == "files.util.py", detail
    assert "line 2, column 5" in detail["message"]
    assert api(server, "GET", "/api/lessons/broken").status_code == 404


def test_a_saved_lesson_runs_and_its_run_holds_exactly_its_files(
    server: Server, token: str
) -> None:
    body = {"id": "runnable", "files": FILES}
    assert api(server, "POST", "/api/lessons", json=body, headers=auth(token)).status_code == 201
    lesson = api(server, "GET", "/api/lessons/runnable").json()
    r = start_program(server, lesson["files"], token, speed=4)
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    got = collect(server, run_id)
    assert got.states()[-1] == "finished" and got.lines() == ["余票 3"]
    run = wait_state(server, run_id, {"finished"})
    assert run["program"]["files"] == FILES and run["program"]["entry"] == "main.py"
    api(server, "DELETE", "/api/lessons/runnable", headers=auth(token))


def test_a_saved_lesson_runs_by_its_id_with_the_token_and_the_run_names_it(
    server: Server, token: str
) -> None:
    body = {"id": "by-id", "files": FILES}
    assert api(server, "POST", "/api/lessons", json=body, headers=auth(token)).status_code == 201
    try:
        run = {"lesson": "by-id", "params": {"speed": 4}}
        refused = api(server, "POST", "/api/runs", json=run)
        assert refused.status_code == 401  # a saved lesson is code of one's own
        r = api(server, "POST", "/api/runs", json=run, headers=auth(token))
        assert r.status_code == 201, r.text
        assert r.json()["lesson"] == "by-id"
        got = collect(server, r.json()["id"])
        assert got.states()[-1] == "finished" and got.lines() == ["余票 3"]
        public = wait_state(server, r.json()["id"], {"finished"})
        assert public["lesson"] == "by-id" and public["program"]["files"] == FILES
    finally:
        api(server, "DELETE", "/api/lessons/by-id", headers=auth(token))
