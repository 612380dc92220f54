"""Running a recursive walk on deep graphs, and turning RecursionError into a clear error.

Python stops recursion at `sys.getrecursionlimit()` (1,000 by default). A recursive walk over a
graph of N nodes never needs more than N frames unless the graph has a cycle, so small graphs run
directly, and larger ones run on a worker thread with a large stack and the limit raised to N
(capped at `MAX_RECURSION_DEPTH`) for that walk alone, then restored.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

from minigrad.errors import GraphTooDeepError

T = TypeVar("T")

MAX_RECURSION_DEPTH = 1_000_000
"""The deepest recursion a walk may use; deeper graphs raise GraphTooDeepError."""

_HEADROOM = 200  # frames for the caller and for the walk's own helpers
_DEFAULT_LIMIT = 1000  # CPython's default recursion limit
_STACK_BYTES = 1 << 30  # reserved (not committed) address space for the worker's C stack
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
    outcome: list[T] = []
    failure: list[BaseException] = []
    context = contextvars.copy_context()

    def work() -> None:
        try:
            outcome.append(context.run(walk))
        except RecursionError:
            failure.append(GraphTooDeepError(strategy, depth, nodes))
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    with _deep_lock:  # the recursion limit and thread stack size are process-wide settings
        # Read the limit to restore under the lock: read before it, it could be another deep
        # walk's raised limit, which would then outlive that walk.
        limit = sys.getrecursionlimit()
        old_stack = threading.stack_size()
        threading.stack_size(_STACK_BYTES)
        sys.setrecursionlimit(max(limit, depth + _HEADROOM))
        try:
            worker = threading.Thread(target=work, name=f"minigrad-{strategy}")
            worker.start()
            worker.join()
        finally:
            sys.setrecursionlimit(limit)
            threading.stack_size(old_stack)
    if failure:
        raise failure[0]
    return outcome[0]
