"""The uvicorn protocols procviz serves with: a bounded request head, a clean WebSocket refusal,
and frames built once for many viewers.

uvicorn has no head limit of its own with httptools (h11's ``h11_max_incomplete_event_size``
answers 400), and httptools keeps a header whole in memory until its end: 8 MB of
headers were read and kept. Here the head is counted as it arrives, before parsing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from app.errors import error_body

HEAD_END = b"\r\n\r\n"
# The ASGI scope extension under which a WebSocket offers ``write_frame`` (see there).
PREPARED_FRAMES = "procviz.prepared_frames"
LINGER = 2.0  # seconds spent reading (and dropping) what a refused client still sends


def too_large_response(limit: int) -> bytes:
    body = error_body("headers", f"the request head is over the limit of {limit} bytes")
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class HeadLimitProtocol(HttpToolsProtocol):
    max_head = 64 * 1024  # set per server with ``with_limit``

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head: int | None = 0  # bytes of the current request's head; None in a body
        self._tail = b""  # the last bytes seen, so a head end split across reads is found
        self._refused = False

    @classmethod
    def with_limit(cls, limit: int) -> type[HeadLimitProtocol]:
        return type(cls.__name__, (cls,), {"max_head": limit})

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # drained, so the client can read the 431 (a close would reset it)
        if self._head is not None:
            seen = self._tail + data
            end = seen.find(HEAD_END)
            self._head += len(data) if end < 0 else max(0, end - len(self._tail))
            self._tail = seen[-3:]
            if self._head > self.max_head:
                self._refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head, self._tail = 0, b""

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(too_large_response(self.max_head))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER, self.transport.close)


class RefusingWebSocketProtocol(WebSocketsSansIOProtocol):
    """A handshake refused with an HTTP answer (``websocket.http.response``) is complete.

    uvicorn 0.54 forgets to mark it so and logs "ASGI callable returned without completing
    handshake" for every page that app/security.py turns away.
    """

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True

    async def run_asgi(self) -> None:
        extensions: dict[str, Any] = self.scope["extensions"]
        extensions[PREPARED_FRAMES] = self.write_frame
        await super().run_asgi()

    def write_frame(self, frame: bytes) -> bool:
        """Write a whole frame built once for every viewer (``app.hub.text_frame``).

        False when it cannot go out as it is — a compressing connection, one not open, or
        one whose buffer is full — and the caller sends the text the usual way, which
        waits. Frames from the server are not masked, so the same bytes suit everyone.
        """
        if self.conn.extensions or self.conn.state is not State.OPEN or self.close_sent:
            return False
        if self.disconnected or not self.writable.is_set() or self.transport.is_closing():
            return False
        self.transport.write(frame)
        return True
