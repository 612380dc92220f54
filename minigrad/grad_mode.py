"""Whether operations record a graph: `no_grad()` turns recording off for the current context.

One context variable says both whether a graph is recorded and where the `tape` strategy's record
of op nodes lives (`minigrad/backward/recording.py`), so the node constructor reads one value per
node for both: False inside `no_grad()`; True when recording without a tape record; the
context's record while `tape` records; None before the context's first op node.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_state: ContextVar[Any] = ContextVar("minigrad_recording", default=None)
graph_state = _state.get
"""False inside `no_grad()`; True, or the context's tape record; None before its first op node."""
set_graph_state = _state.set


def is_recording() -> bool:
    """True unless inside `no_grad()` (per thread and per asyncio task)."""
    return _state.get() is not False


@contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results are constants with no parents.

    Use it for evaluation and for parameter updates; it saves the memory a graph would hold.
    """
    token = _state.set(False)
    try:
        yield
    finally:
        _state.reset(token)
