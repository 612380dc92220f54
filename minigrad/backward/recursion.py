"""Running a recursive walk on deep graphs, and turning RecursionError into a clear error.

Python stops recursion at `sys.getrecursionlimit()` (1,000 by default). A recursive walk over a
graph of N nodes never needs more than N frames unless the graph has a cycle, so small graphs run
directly, and larger ones run on a worker thread with a large stack and the limit raised to N
(capped at `MAX_RECURSION_DEPTH`) for that walk alone, then restored.

Ctrl-C stops a walk on the worker thread within a fraction of a second: the caller waits for it
in short timed waits (a plain `join()` would hold KeyboardInterrupt back until the walk ends),
raises KeyboardInterrupt inside the walk, and re-raises it itself once the walk has unwound and
the limit is restored. The walk returned nothing, so no `.grad` changed.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Generic, TypeVar

from minigrad.errors import GraphTooDeepError

T = TypeVar("T")

MAX_RECURSION_DEPTH = 1_000_000
"""The deepest recursion a walk may use; deeper graphs raise GraphTooDeepError."""

_HEADROOM = 200  # frames for the caller and for the walk's own helpers
_DEFAULT_LIMIT = 1000  # CPython's default recursion limit
_STACK_BYTES = 1 << 30  # reserved (not committed) address space for the worker's C stack
_POLL_SECONDS = 0.1  # how often the caller wakes up while a walk runs: Ctrl-C is seen at once
_GRACE_SECONDS = 1.0  # how long a stopped walk may take to unwind before the caller moves on
_deep_lock = threading.Lock()


def _stack_depth() -> int:
    """Frames on the calling thread's stack (only counted on the error path)."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def run_recursive(strategy: str, nodes: int, walk: Callable[[], T]) -> T:
    """Call `walk()` with room for `nodes` nested frames, or raise GraphTooDeepError."""
    limit = sys.getrecursionlimit()
    # Small graphs run here, in the caller's thread. The test uses at most the default limit:
    # another thread's deep walk may have raised the process-wide limit for a moment.
    if nodes + _HEADROOM < min(limit, _DEFAULT_LIMIT) // 2:
        try:
            return walk()
        except RecursionError:
            # A cycle, or a caller whose own stack left the walk too few frames: tell which.
            available = limit - _stack_depth()
            raise GraphTooDeepError(strategy, min(limit, available), nodes) from None
    depth = min(nodes + _HEADROOM, MAX_RECURSION_DEPTH)
    worker = _Worker(strategy, depth, nodes, walk)
    with _deep_lock:  # the recursion limit and thread stack size are process-wide settings
        # Read the limit to restore under the lock: read before it, it could be another deep
        # walk's raised limit, which would then outlive that walk.
        limit = sys.getrecursionlimit()
        old_stack = threading.stack_size()
        # A daemon: a walk that cannot be stopped (stuck in a long numpy call, say) must not
        # keep the interpreter alive after Ctrl-C.
        thread = threading.Thread(target=worker.run, name=f"minigrad-{strategy}", daemon=True)
        try:
            threading.stack_size(_STACK_BYTES)
            sys.setrecursionlimit(max(limit, depth + _HEADROOM))
            thread.start()
            # Short timed waits: a plain join() holds Ctrl-C back until the walk has ended. (Not
            # timed joins: a join that Ctrl-C interrupts marks the thread finished, in CPython
            # 3.11, while it still runs.)
            while not worker.finished.wait(_POLL_SECONDS):
                pass
        except BaseException:  # KeyboardInterrupt (or whatever a signal handler raised)
            worker.cancel(thread)
            # Let a started walk unwind before the limit drops again (a walk stuck in a long C
            # call gets its KeyboardInterrupt when the call returns).
            if thread.ident is not None:
                worker.finished.wait(_GRACE_SECONDS)
            raise
        finally:
            sys.setrecursionlimit(limit)
            threading.stack_size(old_stack)
    thread.join()
    return worker.result()


class _Worker(Generic[T]):
    """One walk on the worker thread: its result or failure, and a way to stop it.

    `cancel` raises KeyboardInterrupt inside the walk (CPython's PyThreadState_SetAsyncExc: the
    walk itself checks nothing, so stopping costs it nothing), and only while the walk runs, so
    the exception can never reach another thread that happens to reuse the worker's id.
    """

    def __init__(self, strategy: str, depth: int, nodes: int, walk: Callable[[], T]) -> None:
        self.strategy, self.depth, self.nodes, self.walk = strategy, depth, nodes, walk
        self.context = contextvars.copy_context()
        self.outcome: list[T] = []
        self.failure: list[BaseException] = []
        self.lock = threading.Lock()  # guards `running` and `cancelled`
        self.running = False
        self.cancelled = False
        self.finished = threading.Event()  # set when the walk has ended (or never started)

    def run(self) -> None:
        try:
            with self.lock:
                if self.cancelled:
                    return
                self.running = True
            try:
                self.outcome.append(self.context.run(self.walk))
            except RecursionError:
                self.failure.append(GraphTooDeepError(self.strategy, self.depth, self.nodes))
            except BaseException as error:  # re-raised in the caller's thread
                self.failure.append(error)
            finally:
                with self.lock:
                    self.running = False
        except BaseException:  # a cancel that landed after the walk had ended: nothing to report
            pass
        finally:
            self.finished.set()

    def cancel(self, thread: threading.Thread) -> None:
        """Stop the walk (if it has not started or finished) by raising KeyboardInterrupt in it."""
        with self.lock:
            self.cancelled = True
            if self.running and thread.ident is not None:
                _raise_in_thread(thread.ident, KeyboardInterrupt)

    def result(self) -> T:
        if self.failure:
            raise self.failure[0]
        return self.outcome[0]


def _raise_in_thread(ident: int, error: type[BaseException]) -> None:
    """Raise `error` in the thread `ident` at its next bytecode (CPython only; elsewhere the
    daemon worker is simply left behind)."""
    import ctypes  # only on this rare path

    api = getattr(ctypes, "pythonapi", None)
    if api is not None:
        api.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(error))
