from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.protocols import PREPARED_FRAMES
from app.runs import RunManager, RunNotFound

router = APIRouter(tags=["websocket"])

# Application close codes (4000–4999): the reason says what happened.
CLOSE_UNKNOWN_RUN = 4404
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_REQUEST = 4400


@router.websocket("/ws/runs/{run_id}")
async def watch_run(websocket: WebSocket, run_id: str) -> None:
    manager: RunManager = websocket.app.state.manager
    await websocket.accept()
    try:
        hub = manager.get(run_id).hub
    except RunNotFound:
        await websocket.close(CLOSE_UNKNOWN_RUN, f"unknown run {run_id!r}")
        return
    batched = websocket.query_params.get("batch", "0")
    if batched not in ("0", "1"):
        await websocket.close(CLOSE_BAD_REQUEST, f"batch must be 0 or 1, not {batched[:40]!r}")
        return
    viewer, first = hub.attach(batched=batched == "1")
    write_frame = websocket.scope.get("extensions", {}).get(PREPARED_FRAMES)
    viewer.direct = write_frame
    receiver = asyncio.create_task(_drain_incoming(websocket))
    # One waiter per viewer, not a task per wake-up: its going away wakes it too.
    receiver.add_done_callback(lambda _: viewer.wake.set())
    try:
        for message in first:
            await websocket.send_text(message)
        # The history in shared pieces, a few per loop pass over all viewers; live after it.
        while not viewer.live and not receiver.done():
            await hub.pacer.turn()
            for message in hub.next_history(viewer):
                await websocket.send_text(message)
        while not receiver.done():
            await viewer.wake.wait()
            viewer.wake.clear()
            if receiver.done():
                break
            if viewer.overflowed:
                await websocket.close(
                    CLOSE_TOO_SLOW, "viewer too slow: reconnect for a fresh snapshot"
                )
                return
            if viewer.batched:
                out = hub.next_batch(viewer)
                # The shared frame as it is; else (compressing, buffer full) the usual way.
                if out is not None and not (write_frame and write_frame(out.frame)):
                    viewer.busy = True  # the hub queues for it meanwhile: order is kept
                    try:
                        await websocket.send_text(out.text)
                    finally:
                        viewer.busy = False
                continue
            for message in hub.next_messages(viewer):
                await websocket.send_text(message)
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        hub.leave(viewer)
        receiver.cancel()


async def _drain_incoming(websocket: WebSocket) -> None:
    """Viewers send nothing we need; reading notices when they go away."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return


@router.websocket("/ws/lobby")
async def follow_presenter(websocket: WebSocket) -> None:
    """``{"type": "current", "run": id, ...}`` now and whenever the presenter starts a run;
    ``{"type": "prediction", "question": Q}`` when the current question changes (app.predictions)."""
    manager: RunManager = websocket.app.state.manager
    lobby = manager.lobby
    await websocket.accept()
    receiver = asyncio.create_task(_drain_incoming(websocket))
    version = -1
    sent: tuple[object, object] = (object(), None)  # the current run and question last sent
    try:
        while not receiver.done():
            if lobby.version != version:
                version, now = lobby.version, (lobby.current, lobby.question)
                if now[0] is not sent[0]:
                    current = now[0] or {"run": None}
                    await websocket.send_json({"type": "current", "t": time.time(), **current})
                if now[1] is not sent[1]:
                    message = {"type": "prediction", "t": time.time(), "question": now[1]}
                    await websocket.send_json(message)
                sent = now
            waiter = asyncio.create_task(lobby.wait_newer(version))
            await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        receiver.cancel()
