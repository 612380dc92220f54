"""Whether operations record a graph: `no_grad()` turns recording off for the current context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_recording: ContextVar[bool] = ContextVar("minigrad_recording", default=True)
is_recording = _recording.get
"""True unless inside `no_grad()` (per thread and per asyncio task)."""


@contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results are constants with no parents.

    Use it for evaluation and for parameter updates; it saves the memory a graph would hold.
    """
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)
