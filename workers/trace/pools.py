"""Pool and ProcessPoolExecutor: workers labelled as such, and tasks submitted, running, done.

A worker reads its tasks through a queue and writes each result back: the tracer
hands the worker loop thin stand-ins for the two queues that report each task as
it starts (``running``) and as its result goes back (``done``); the parent reports
what it submitted. Task events are coalesced per pool and per worker.
"""

from __future__ import annotations

import concurrent.futures.process
import functools
import multiprocessing.pool
from collections.abc import Callable, Iterator
from typing import Any

from workers.trace import events, lifecycle

# Private names of the standard library, not in its stubs.
mpp: Any = multiprocessing.pool
cfp: Any = concurrent.futures.process

_original_worker = mpp.worker
_original_process_worker = cfp._process_worker
_original_apply_async = mpp.Pool.apply_async
_original_guarded = mpp.Pool._guarded_task_generation
_original_submit = cfp.ProcessPoolExecutor.submit


def fn_name(fn: Any) -> str:
    if isinstance(fn, functools.partial):
        if fn.func is cfp._process_chunk and fn.args:  # executor.map() chunks
            return fn_name(fn.args[0])
        return fn_name(fn.func)
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


def _task(task_id: object, state: str, fn: str, **extra: Any) -> None:
    data = {"id": task_id, "state": state, "fn": fn, **extra}
    events.coalescer.offer(("task", state), "task", data)


class _Proxy:
    def __init__(self, inner: Any, running: dict[object, str]) -> None:
        self._inner = inner
        self._running = running  # task id → function name, shared by a worker's two queues

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# -- Pool --------------------------------------------------------------------------


class _PoolTasks(_Proxy):
    def get(self) -> Any:
        task = self._inner.get()
        if task is not None:
            job, i, func, args, _ = task
            # map() sends mapstar((fn, chunk)): name the program's function.
            fn = args[0][0] if func in (mpp.mapstar, mpp.starmapstar) and args else func
            self._running[f"{job}:{i}"] = name = fn_name(fn)
            _task(f"{job}:{i}", "running", name)
        return task


class _PoolResults(_Proxy):
    def put(self, item: Any) -> None:
        job, i, (ok, _) = item
        _task(f"{job}:{i}", "done", self._running.pop(f"{job}:{i}", ""), ok=bool(ok))
        # Reported before the result leaves: once the parent has it, it may terminate the
        # pool (``with Pool(...)``), and what this worker merged would be lost with it.
        events.coalescer.flush(everything=True)
        self._inner.put(item)


def worker(inqueue: Any, outqueue: Any, *args: Any, **kwargs: Any) -> None:
    """multiprocessing.pool.worker, reporting each task."""
    running: dict[object, str] = {}
    _original_worker(_PoolTasks(inqueue, running), _PoolResults(outqueue, running), *args, **kwargs)


def _apply_async(self: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    result = _original_apply_async(self, func, *args, **kwargs)
    _task(f"{result._job}:0", "submitted", fn_name(func))
    return result


def _guarded_task_generation(
    self: Any, result_job: int, func: Callable[..., Any], iterable: Any
) -> Iterator[Any]:
    for task in _original_guarded(self, result_job, func, iterable):
        _, i, fn, args, _ = task
        if fn in (mpp.mapstar, mpp.starmapstar) and args:
            fn = args[0][0]
        _task(f"{result_job}:{i}", "submitted", fn_name(fn))
        yield task


# -- ProcessPoolExecutor -----------------------------------------------------------


class _CallItems(_Proxy):
    def get(self, block: bool = True) -> Any:
        item = self._inner.get(block=block)
        if item is not None:
            self._running[item.work_id] = name = fn_name(item.fn)
            _task(item.work_id, "running", name)
        return item


class _ResultItems(_Proxy):
    def put(self, item: Any, *args: Any, **kwargs: Any) -> None:
        self._inner.put(item, *args, **kwargs)
        if isinstance(item, cfp._ResultItem):
            name = self._running.pop(item.work_id, "")
            _task(item.work_id, "done", name, ok=item.exception is None)


def process_worker(call_queue: Any, result_queue: Any, *args: Any, **kwargs: Any) -> None:
    """concurrent.futures.process._process_worker, reporting each task."""
    running: dict[object, str] = {}
    calls, results = _CallItems(call_queue, running), _ResultItems(result_queue, running)
    _original_process_worker(calls, results, *args, **kwargs)


def _submit(self: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    future = _original_submit(self, fn, *args, **kwargs)
    _task(self._queue_count - 1, "submitted", fn_name(fn))
    return future


def install() -> None:
    mpp.worker = worker
    mpp.Pool.apply_async = _apply_async
    mpp.Pool._guarded_task_generation = _guarded_task_generation
    cfp._process_worker = process_worker
    cfp.ProcessPoolExecutor.submit = _submit
    lifecycle.pool_targets.update({worker, process_worker})
