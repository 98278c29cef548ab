"""Where analyses run: their own bounded pool of threads, each request with a deadline.

Plain reads (records, hops, lists) go to the event loop's default threads; analyses go here, so a
burst of heavy analyses queues behind itself, never in front of a plain read.

A thread cannot be stopped from outside, so the deadline is kept both ways:
- the request waiting for an analysis stops waiting when its time is up, and answers with
  `AnalysisTimeout` (a queued analysis that has not started yet is dropped);
- an analysis that is running calls `checkpoint()` in its long loops, which raises once the
  deadline of the request it serves has passed, so the worker is freed for the next request.

Building or following the shared read model never checks the deadline: its work serves every
later request, so it runs to the end even when the request that started it has given up.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


class AnalysisTimeout(Exception):
    """An analysis ran past its request's deadline (`ROLEMAP_ANALYSIS_TIMEOUT_SECONDS`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the analysis did not finish within {seconds:g} s (ROLEMAP_ANALYSIS_TIMEOUT_SECONDS): "
            "narrow it (a city rather than a region or all cities, a smaller first) or try again"
        )
        self.seconds = seconds


def checkpoint() -> None:
    """Raise `AnalysisTimeout` if the analysis on this thread is past its deadline; cheap enough
    for an inner loop (one thread-local read and one clock read)."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline[0]:
        raise AnalysisTimeout(deadline[1])


def unhurried(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn` with no deadline on this thread (shared work that later requests also need)."""
    kept = getattr(_local, "deadline", None)
    _local.deadline = None
    try:
        return fn(*args)
    finally:
        _local.deadline = kept


class LoopThread:
    """A second event loop on a thread of its own, started at first use.

    An analysis answer can have thousands of fields (a role map at scale M: ~2,000 cells), and
    resolving them is Python work on whichever loop executes the operation. Operations that run
    analyses execute here, so that work never holds the server's loop: plain requests go on being
    answered meanwhile, sharing the interpreter a millisecond at a time (`sys.setswitchinterval`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name=self.name, daemon=True).start()
                self._loop = loop
            return self._loop

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Await the coroutine `fn(*args)` run on this loop (cancelled there if the caller is)."""
        future = asyncio.run_coroutine_threadsafe(fn(*args), self._running())
        return await asyncio.wrap_future(future)

    def stop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)


class AnalysisPool:
    """A bounded pool of analysis threads, and the deadline each analysis request gets; and the
    loop where operations that run analyses are executed (`LoopThread`)."""

    def __init__(self, workers: int, timeout_seconds: float) -> None:
        self.workers = workers
        self.timeout_seconds = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rolemap-analysis")
        self.loop = LoopThread("rolemap-analysis-loop")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on an analysis thread; `AnalysisTimeout` when the deadline passes first."""
        seconds = self.timeout_seconds
        deadline = time.monotonic() + seconds
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._pool, functools.partial(_with_deadline, deadline, seconds, fn, *args)
        )
        try:
            return await asyncio.wait_for(future, max(deadline - time.monotonic(), 0))
        except TimeoutError:
            raise AnalysisTimeout(seconds) from None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Start shared work (the first build of the read model) with no deadline."""
        return self._pool.submit(unhurried, fn, *args)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.loop.stop()


def _with_deadline(deadline: float, seconds: float, fn: Callable[..., T], *args: Any) -> T:
    if time.monotonic() > deadline:  # waited in the queue past its time: do not start it
        raise AnalysisTimeout(seconds)
    _local.deadline = (deadline, seconds)
    try:
        return fn(*args)
    finally:
        _local.deadline = None
