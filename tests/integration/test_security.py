"""Safe in front of a hall: hostile pages, rebinding names, bad and oversized input, limits."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app.settings import SettingsError, parse_body_limits, parse_hosts
from tests.client import Server, api, start_run, wait_state

pytestmark = pytest.mark.integration

EVIL = "http://evil.example"


def origin_of(server: Server) -> str:
    return server.base


def host_port(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.base)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def raw_request(server: Server, data: bytes, half_close: bool = True) -> bytes:
    """Send bytes as they are (no client fixes them up); all the server answers."""
    with socket.create_connection(host_port(server), timeout=30) as s:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def vm_hwm_kib(pid: int) -> int:
    """The process's peak resident memory so far."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def detail(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"detail"} and set(body["detail"]) == {"field", "message"}, body
    return dict(body["detail"])


# --- Host: DNS rebinding ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/", "/api/runs", "/api/lessons", "/openapi.json"])
def test_host_check_refuses_a_rebinding_name_everywhere(server: Server, path: str) -> None:
    r = api(server, "GET", path, headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert detail(r)["field"] == "host"
    assert "evil.example" in str(detail(r)["message"])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LocalHost", "127.0.0.2"])
def test_host_check_allows_loopback_names_with_or_without_port(server: Server, host: str) -> None:
    _, port = host_port(server)
    for value in (host, f"{host}:{port}"):
        r = api(server, "GET", "/healthz", headers={"Host": value})
        assert r.status_code == 200, (value, r.text)


def test_host_check_allows_what_the_operator_configured(make_server: Callable[..., Server]) -> None:
    hall = make_server(PROCVIZ_ALLOWED_HOSTS="procviz.example, *.hall.example")
    for good in ("procviz.example", "procviz.example:8000", "room1.hall.example"):
        assert api(hall, "GET", "/healthz", headers={"Host": good}).status_code == 200, good
    for bad in ("evil.example", "hall.example.evil", "10.0.0.7"):
        r = api(hall, "GET", "/healthz", headers={"Host": bad})
        assert r.status_code == 400 and detail(r)["field"] == "host", bad
    anything = make_server(PROCVIZ_ALLOWED_HOSTS="*")
    assert api(anything, "GET", "/healthz", headers={"Host": "evil.example"}).status_code == 200


def test_host_check_refuses_a_rebinding_websocket_handshake(server: Server) -> None:
    head = (
        "GET /ws/lobby HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    answer = raw_request(server, head.encode(), half_close=False)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b'"field": "host"' in answer


# --- Origin: cross-site control ---------------------------------------------------------


@pytest.fixture
def long_run(server: Server) -> Iterator[dict[str, object]]:
    run = start_run(server, "zombie", {"parent_sleep": 30, "speed": 0.5})
    yield run
    api(server, "POST", f"/api/runs/{run['id']}/stop")
    wait_state(server, str(run["id"]), {"stopped", "finished", "failed"}, timeout=30)


def test_cross_site_stop_is_refused_and_the_run_keeps_running(
    server: Server, long_run: dict[str, object]
) -> None:
    stop = f"/api/runs/{long_run['id']}/stop"
    r = api(server, "POST", stop, headers={"Origin": EVIL})
    assert r.status_code == 403 and detail(r)["field"] == "origin"
    r = api(server, "POST", stop, headers={"Origin": "null"})  # a sandboxed or file: page
    assert r.status_code == 403 and detail(r)["field"] == "origin"
    _, port = host_port(server)
    r = api(server, "POST", stop, headers={"Origin": f"http://127.0.0.1:{port + 1}"})
    assert r.status_code == 403, "another port is another origin"
    r = api(server, "POST", stop, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and detail(r)["field"] == "sec-fetch-site"
    assert api(server, "GET", f"/api/runs/{long_run['id']}").json()["state"] == "running"
    r = api(server, "POST", stop, headers={"Origin": origin_of(server)})
    assert r.status_code == 200, r.text  # the page itself still controls the run
    assert wait_state(server, str(long_run["id"]), {"stopped"})["stop_reason"] == "requested"


def test_cross_site_run_creation_is_refused_and_starts_nothing(server: Server) -> None:
    before = api(server, "GET", "/api/runs").json()
    r = api(server, "POST", "/api/runs", json={"lesson": "zombie"}, headers={"Origin": EVIL})
    assert r.status_code == 403 and detail(r)["field"] == "origin"
    assert api(server, "GET", "/api/runs").json() == before


def test_cross_site_reads_are_answered_with_the_security_headers(server: Server) -> None:
    r = api(server, "GET", "/api/runs", headers={"Origin": EVIL})
    assert r.status_code == 200  # reading is open; CORS keeps the answer from that page
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["cross-origin-resource-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/ws/lobby", "/ws/runs/{run}"])
def test_websocket_handshake_from_another_origin_is_refused_before_accept(
    server: Server, long_run: dict[str, object], path: str
) -> None:
    url = server.ws_base + path.format(run=long_run["id"])
    with pytest.raises(InvalidStatus) as info:
        connect(url, origin=EVIL, open_timeout=10)
    response = info.value.response
    assert response.status_code == 403
    assert json.loads(response.body or b"{}")["detail"]["field"] == "origin"
    with connect(url, origin=origin_of(server), open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["run"] == long_run["id"]  # watching, as before


# --- Security headers and the CSP --------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/runs/nope", "/static/js/main.js", "/api/lessons"])
def test_security_headers_on_every_answer(server: Server, path: str) -> None:
    r = api(server, "GET", path)
    assert r.status_code == 200
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split("; ")}
    # 'self', the import map's hash (the one inline script), this answer's style nonce.
    assert csp["script-src"][0] == "'self'" and csp["script-src"][1].startswith("'sha256-")
    assert len(csp["script-src"]) == 2
    assert csp["style-src"][0] == "'self'" and csp["style-src"][1].startswith("'nonce-")
    assert len(csp["style-src"]) == 2
    assert csp["connect-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_page_has_no_inline_script_style_or_handler(server: Server) -> None:
    r = api(server, "GET", "/")
    html = r.text
    for tag in html.split("<script")[1:]:
        opening, rest = tag.split(">", 1)
        if opening == ' type="importmap"':  # allowed by its hash, and only by it
            text = rest.split("</script>", 1)[0]
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in r.headers["content-security-policy"]
            continue
        assert "src=" in opening or 'type="application/json"' in opening, opening
    assert "<style" not in html and " style=" not in html
    assert not any(f" on{event}=" in html for event in ("click", "load", "error", "submit"))


def test_style_nonce_is_new_on_every_answer_and_given_to_the_page(server: Server) -> None:
    nonces = []
    for _ in range(3):
        r = api(server, "GET", "/")
        nonce = r.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
        assert f'<meta name="csp-nonce" content="{nonce}">' in r.text
        nonces.append(nonce)
    assert len(set(nonces)) == 3 and all(len(n) >= 22 for n in nonces)


# --- Bounded input -----------------------------------------------------------------------


def test_body_over_the_limit_is_413_without_being_read_whole(
    make_server: Callable[..., Server],
) -> None:
    srv = make_server()
    peak = vm_hwm_kib(srv.pid)
    big = b"x" * (100 << 20)
    r = api(srv, "POST", "/api/runs", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and detail(r)["field"] == "body"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(1000):
            yield b"x" * 100_000

    r = api(
        srv, "POST", "/api/runs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413 and detail(r)["field"] == "body"
    assert vm_hwm_kib(srv.pid) - peak < 40_000, "the server kept a 100 MB body in memory"
    assert api(srv, "GET", "/healthz").status_code == 200


def test_body_limit_is_configurable_per_path_prefix(make_server: Callable[..., Server]) -> None:
    srv = make_server(PROCVIZ_MAX_BODY="4096", PROCVIZ_BODY_LIMITS="/api/runs=200000")
    padded = b'{"lesson": "teleport"' + b" " * 100_000 + b"}"
    r = api(srv, "POST", "/api/runs", content=padded, headers={"content-type": "application/json"})
    assert r.status_code == 404 and detail(r)["field"] == "lesson"  # read, parsed, answered
    r = api(srv, "POST", "/healthz", content=b"x" * 5000)
    assert r.status_code == 413 and "4096" in str(detail(r)["message"])


def test_headers_over_the_limit_are_431_and_the_server_keeps_serving(server: Server) -> None:
    _, port = host_port(server)
    head = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: ".encode()
    answer = raw_request(server, head + b"a" * (8 << 20) + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"field": "headers"' in answer
    many = "".join(f"X-H{i}: {'b' * 100}\r\n" for i in range(2000)).encode()
    answer = raw_request(server, head + b"1\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert api(server, "GET", "/healthz").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/runs", rb'{"lesson": "\ud800"}', 422, "lesson"),
        ("/api/runs", rb'{"lesson": "zombie", "params": {"\ud800": 1}}', 422, "params"),
        (
            "/api/runs",
            rb'{"lesson": "zombie", "params": {"start_method": "\udfff"}}',
            422,
            "params.start_method",
        ),
        ("/api/runs/nope/signal", rb'{"pid": 1, "signal": "\ud800"}', 422, "signal"),
        ("/api/runs", b'{"lesson": "zom\xffbie"}', 400, "body"),
        ("/api/runs/nope/signal", b'{"pid": 1, "signal": "\xc3("}', 400, "body"),
        ("/api/runs", b'{"lesson": ', 422, "body"),
    ],
)
def test_text_that_is_not_unicode_is_refused_naming_the_field(
    server: Server, path: str, body: bytes, status: int, field: str
) -> None:
    before = api(server, "GET", "/api/runs").json()
    r = api(server, "POST", path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert detail(r)["field"] == field
    assert api(server, "GET", "/api/runs").json() == before  # nothing changed
    assert api(server, "GET", "/healthz").status_code == 200


def test_error_messages_quote_only_a_short_prefix_of_a_huge_value(
    make_server: Callable[..., Server],
) -> None:
    srv = make_server(PROCVIZ_BODY_LIMITS="/api/runs=16777216")
    huge = "A" * (10 << 20)
    for body in (
        {"lesson": "zombie", "params": {"start_method": huge}},
        {"lesson": "zombie", "params": {huge: 1}},
        {"lesson": huge},
    ):
        r = api(srv, "POST", "/api/runs", json=body)
        assert r.status_code == 422, r.text[:300]
        assert len(r.content) < 600, f"{len(r.content)} bytes echoed"
        quoted = str(detail(r)["field"]) + str(detail(r)["message"])
        assert "A" * 65 not in quoted
    assert str(detail(r)["field"]) == "lesson"
    r = api(srv, "POST", "/api/runs", json={"lesson": "zombie", "params": {huge: 1}})
    assert str(detail(r)["field"]).endswith("A…")  # the name cut short, and said so
    for path in ("/api/runs/" + "B" * 30_000, "/api/runs/" + "B" * 30_000 + "/recording"):
        r = api(srv, "GET", path)
        assert r.status_code == 422 and detail(r)["field"] == "run_id", r.text[:300]
        assert len(r.content) < 600


# --- Rate and connection limits ----------------------------------------------------------


def test_control_requests_beyond_the_rate_get_429_with_retry_after(
    make_server: Callable[..., Server],
) -> None:
    srv = make_server(PROCVIZ_CONTROL_RATE="0.1", PROCVIZ_CONTROL_BURST="3")
    for _ in range(3):
        assert api(srv, "POST", "/api/runs/nope/stop").status_code == 404
    r = api(srv, "POST", "/api/runs/nope/stop")
    assert r.status_code == 429 and detail(r)["field"] == "rate"
    assert int(r.headers["retry-after"]) >= 1
    for _ in range(20):  # viewers' reads are not control: never limited
        assert api(srv, "GET", "/api/runs").status_code == 200


def _lobby_answers(ws: ClientConnection) -> bool:
    """The lobby's first message arrived (False: the server closed the connection)."""
    try:
        return bool(json.loads(ws.recv(timeout=10))["type"] == "current")
    except ConnectionClosed:
        return False


def test_websockets_per_address_are_limited_with_a_close_code_and_reason(
    make_server: Callable[..., Server],
) -> None:
    srv = make_server(PROCVIZ_MAX_WS_PER_CLIENT="3")
    lobby = f"{srv.ws_base}/ws/lobby"
    with ExitStack() as stack:
        open_ = [stack.enter_context(connect(lobby, open_timeout=10)) for _ in range(3)]
        assert all(_lobby_answers(ws) for ws in open_)
        with connect(lobby, open_timeout=10) as extra, pytest.raises(ConnectionClosed) as info:
            extra.recv(timeout=10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4429
        assert "too many connections" in info.value.rcvd.reason
        open_[0].close()
        deadline = time.monotonic() + 10
        while True:  # the server frees the slot once it has seen the close
            with connect(lobby, open_timeout=10) as again:
                if _lobby_answers(again):
                    break
            assert time.monotonic() < deadline, "a closed connection kept its slot"
            time.sleep(0.1)


# --- Settings ------------------------------------------------------------------------------


def test_settings_parse_hosts_and_body_limits() -> None:
    assert parse_hosts(" Procviz.example, ,*.hall.example ") == (
        "procviz.example",
        "*.hall.example",
    )
    assert parse_body_limits("/api/runs=1048576, /api/lessons=2097152") == (
        ("/api/runs", 1048576),
        ("/api/lessons", 2097152),
    )
    for bad in ("api/runs=5", "/api/runs", "/api/runs=lots"):
        with pytest.raises(SettingsError):
            parse_body_limits(bad)


# --- The OpenAPI document ----------------------------------------------------------------


def test_openapi_documents_one_error_shape_and_each_lessons_params(server: Server) -> None:
    doc = api(server, "GET", "/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]  # FastAPI's list is gone
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            statuses = operation["responses"]
            assert "400" in statuses, (method, path)  # the Host check answers everywhere
            for status, answer in statuses.items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            if method != "get":
                assert {"403", "413", "429"} <= set(statuses), (method, path)
    variants = doc["components"]["schemas"]["RunCreate"]["oneOf"]
    by_lesson = {
        v["properties"]["lesson"]["const"]: v["properties"]["params"]
        for v in variants
        if "const" in v["properties"].get("lesson", {})  # the others: programs of one's own
    }
    lessons = api(server, "GET", "/api/lessons").json()
    assert by_lesson == {lesson["id"]: lesson["params"] for lesson in lessons if lesson["builtin"]}
    assert all(p["additionalProperties"] is False for p in by_lesson.values())
