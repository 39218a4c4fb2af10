"""Predict, then run: a real server asks, viewers vote (one each), a real run answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.client import Server, api, collect

pytestmark = pytest.mark.integration

TOKEN = "predict-secret"
PUBLIC_KEYS = {
    "id", "lesson", "key", "kind", "text", "unit", "minimum", "maximum", "step", "choices",
    "answer_from", "state", "opened", "closed", "run", "votes", "counts", "answer",
    "answer_key", "correct", "mine",
}  # fmt: skip


@pytest.fixture
def hall(make_server: Callable[..., Server]) -> Server:
    """A server whose presenter needs the token (viewers have none)."""
    return make_server(PROCVIZ_TOKEN=TOKEN)


def ask(server: Server, lesson: str, question: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"lesson": lesson, "question": question}
    return httpx.post(f"{server.base}/api/questions", json=body, headers=headers, timeout=30)


def viewer(server: Server) -> httpx.Client:
    """A viewer's browser: no token (``api`` sends the presenter's), its own cookies."""
    return httpx.Client(base_url=server.base, timeout=30)


@pytest.fixture
def viewers(hall: Server) -> Iterator[list[httpx.Client]]:
    clients = [viewer(hall) for _ in range(4)]
    yield clients
    for c in clients:
        c.close()


def vote(client: httpx.Client, qid: str, answer: Any) -> httpx.Response:
    return client.post(f"/api/questions/{qid}/votes", json={"answer": answer})


def current(server: Server) -> dict[str, Any]:
    r = api(server, "GET", "/api/questions/current")
    assert r.status_code == 200, r.text
    return dict(r.json())


def refused(r: httpx.Response, status: int, field: str) -> str:
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert detail["field"] == field, detail
    return str(detail["message"])


def next_prediction(lobby: ClientConnection) -> dict[str, Any]:
    while True:
        message = json.loads(lobby.recv(timeout=10))
        if message["type"] == "prediction":
            return dict(message["question"])


def test_viewers_vote_once_each_and_the_lobby_hears_counts_only(
    hall: Server, viewers: list[httpx.Client]
) -> None:
    assert refused(api(hall, "GET", "/api/questions/current"), 404, "question")
    with connect(f"{hall.ws_base}/ws/lobby") as lobby:
        assert json.loads(lobby.recv(timeout=5))["type"] == "current"
        refused(ask(hall, "ticket-race", "sold", token=None), 401, "token")
        assert api(hall, "GET", "/api/questions/current").status_code == 404  # nothing asked

        r = ask(hall, "ticket-race", "sold")
        assert r.status_code == 201, r.text
        q = r.json()
        assert set(q) == PUBLIC_KEYS
        assert (q["state"], q["kind"], q["votes"], q["run"]) == ("open", "number", 0, None)
        assert q["counts"] == {str(n): 0 for n in range(11)}  # 0 … 10 buyers
        heard = next_prediction(lobby)
        assert heard["id"] == q["id"] and heard["votes"] == 0

        for client, answer in zip(viewers, [1, 1, 3, 10], strict=True):
            r = vote(client, q["id"], answer)
            assert r.status_code == 201, r.text
            assert r.json()["mine"] == str(answer)  # the voter learns its own vote only
            assert "procviz_viewer" in r.cookies  # the server names the viewer
        while heard["votes"] < 4:
            heard = next_prediction(lobby)
        assert heard["counts"] | {"1": 0, "3": 0, "10": 0} == q["counts"]
        assert (heard["counts"]["1"], heard["counts"]["3"], heard["counts"]["10"]) == (2, 1, 1)
        assert set(heard) == PUBLIC_KEYS and heard["mine"] is None  # nobody's vote, only counts

    # A second vote from one viewer is refused and changes nothing; so is a bad answer.
    before = current(hall)
    message = refused(vote(viewers[0], q["id"], 5), 409, "viewer")
    assert "already" in message
    fresh = viewer(hall)
    try:
        for bad, why in [(11, "between 0 and 10"), (0.5, "multiple of 1"), ("x", "number")]:
            assert why in refused(vote(fresh, q["id"], bad), 422, "answer")
        refused(fresh.post(f"/api/questions/{q['id']}/votes", json={"answer": True}), 422, "answer")
        refused(fresh.post(f"/api/questions/{q['id']}/votes", json={}), 422, "answer")
        refused(fresh.post(f"/api/questions/{q['id']}/votes", json={"answer": 1, "x": 1}), 422, "x")
        refused(vote(fresh, "q-000000000000", 1), 404, "question_id")
        assert current(hall) == before
        # Refusals spent no vote: this viewer still has its own.
        assert vote(fresh, q["id"], 0).status_code == 201
        assert current(hall)["counts"]["0"] == 1
        mine = fresh.get("/api/questions/current").json()["mine"]
        assert mine == "0" and api(hall, "GET", "/api/questions/current").json()["mine"] is None
    finally:
        fresh.close()


def test_opening_and_closing_refuse_bad_input_and_change_nothing(
    hall: Server, viewers: list[httpx.Client]
) -> None:
    assert refused(ask(hall, "no-such-lesson", "sold"), 404, "lesson")
    assert "asks: sold, tickets-left" in refused(ask(hall, "ticket-race", "nope"), 422, "question")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    r = api(hall, "POST", "/api/questions", json={"lesson": "join"}, headers=headers)
    refused(r, 422, "question")
    assert api(hall, "GET", "/api/questions/current").status_code == 404

    q = ask(hall, "daemon", "second-line").json()
    assert [c["id"] for c in q["choices"]] == ["yes", "no"] and q["counts"] == {"yes": 0, "no": 0}
    assert vote(viewers[0], q["id"], "no").status_code == 201
    assert "one of yes, no" in refused(vote(viewers[1], q["id"], "maybe"), 422, "answer")
    refused(viewers[1].post(f"/api/questions/{q['id']}/close"), 401, "token")  # a viewer
    assert current(hall)["state"] == "open"
    closed = api(hall, "POST", f"/api/questions/{q['id']}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    refused(api(hall, "POST", f"/api/questions/{q['id']}/close", headers=headers), 409, "question")
    refused(vote(viewers[1], q["id"], "yes"), 409, "question")
    refused(api(hall, "POST", "/api/questions/q-nope/close", headers=headers), 404, "question_id")
    assert current(hall)["counts"] == {"yes": 0, "no": 1}

    # A new question replaces the current one and ends the voting on an open one.
    first = ask(hall, "join", "parallel-seconds").json()
    second = ask(hall, "join", "serial-seconds").json()
    assert current(hall)["id"] == second["id"]
    assert api(hall, "GET", f"/api/questions/{first['id']}").json()["state"] == "closed"
    assert first["counts"]["2.5"] == 0 and first["unit"] == {"en": "seconds", "zh": "秒"}
    assert vote(viewers[2], second["id"], 5.5).status_code == 201


def test_a_run_takes_the_question_and_its_result_reveals_the_answer(
    hall: Server, viewers: list[httpx.Client]
) -> None:
    q = ask(hall, "ticket-race", "sold").json()
    for client, answer in zip(viewers, [1, 2, 10, 10], strict=True):
        assert vote(client, q["id"], answer).status_code == 201
    headers = {"Authorization": f"Bearer {TOKEN}"}
    r = api(hall, "POST", "/api/runs", json={"lesson": "ticket-race", "params": {"speed": 10}},
            headers=headers)  # fmt: skip
    assert r.status_code == 201, r.text
    run = r.json()
    taken = current(hall)
    assert (taken["state"], taken["run"]) == ("closed", run["id"])  # voting ends at Run
    late = viewer(hall)
    try:
        refused(vote(late, q["id"], 1), 409, "question")
    finally:
        late.close()

    got = collect(hall, run["id"])
    result = got.result()
    told = got.events("prediction")
    assert [e["data"]["state"] for e in told] == ["closed", "revealed"]
    revealed = told[-1]["data"]
    assert revealed["answer"] == result["sold"]  # the run's own result, not a guess
    assert revealed["answer_key"] == str(result["sold"])
    assert revealed["correct"] == {1: 1, 2: 1, 10: 2}.get(result["sold"], 0)
    assert revealed["votes"] == 4 and revealed["mine"] is None
    kinds = [e["kind"] for e in got.events()]
    assert (
        kinds.index("prediction")
        < kinds.index("result")
        < len(kinds) - 1 - kinds[::-1].index("prediction")
    )  # taken before the result, revealed after it
    assert current(hall)["state"] == "revealed" and current(hall)["answer"] == result["sold"]

    # The recording keeps the question and the counts (replay shows them).
    lines = api(hall, "GET", f"/api/runs/{run['id']}/recording").text.splitlines()
    recorded = [json.loads(line) for line in lines if '"kind": "prediction"' in line]
    assert [m["data"]["state"] for m in recorded] == ["closed", "revealed"]
    assert recorded[-1]["data"]["counts"] == revealed["counts"]


def test_a_choice_is_answered_by_the_line_the_run_prints_first(hall: Server) -> None:
    q = ask(hall, "create-process", "first-line").json()
    assert q["answer_from"] == "first-line"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"lesson": "create-process", "params": {"speed": 10, "seconds": 0.5}}
    run = api(hall, "POST", "/api/runs", json=body, headers=headers).json()
    got = collect(hall, run["id"])
    watched = {"主": "main", "running jia": "jia", "running yi": "yi"}
    printed = [e for e in got.events("stdout") if e["data"]["line"] in watched]
    first = min(printed, key=lambda e: e["t"])["data"]["line"]  # by the processes' clock
    revealed = got.events("prediction")[-1]["data"]
    assert revealed["state"] == "revealed"
    assert (revealed["answer"], revealed["answer_key"]) == (first, watched[first])


def test_a_run_of_another_lesson_leaves_the_question_open(hall: Server) -> None:
    q = ask(hall, "daemon", "second-line").json()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"lesson": "zombie", "params": {"speed": 10, "parent_sleep": 0.5}}
    run = api(hall, "POST", "/api/runs", json=body, headers=headers).json()
    got = collect(hall, run["id"])
    assert got.events("prediction") == []
    still = current(hall)
    assert (still["id"], still["state"], still["run"]) == (q["id"], "open", None)


def test_votes_pass_the_servers_checks_rate_and_origin(make_server: Callable[..., Server]) -> None:
    """The control rate limit (app/security.py) counts votes too; another site's page may not vote."""
    hall = make_server(PROCVIZ_TOKEN=TOKEN, PROCVIZ_CONTROL_RATE="0.1", PROCVIZ_CONTROL_BURST="3")
    q = ask(hall, "isolation", "parent-money").json()  # the first of the three in the burst
    clients = [viewer(hall) for _ in range(3)]
    try:
        evil = clients[0].post(
            f"/api/questions/{q['id']}/votes",
            json={"answer": "99"},
            headers={"Origin": "http://evil.example"},
        )
        refused(evil, 403, "origin")  # before the limiter: it spends no token
        assert vote(clients[0], q["id"], "1000").status_code == 201
        assert vote(clients[1], q["id"], "99").status_code == 201
        limited = vote(clients[2], q["id"], "99")
        assert "retry in" in refused(limited, 429, "rate")
        assert int(limited.headers["Retry-After"]) >= 1
    finally:
        for c in clients:
            c.close()
    after = current(hall)
    assert (after["votes"], after["counts"]) == (2, {"1000": 1, "99": 1})
