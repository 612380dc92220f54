"""Observers: how tools such as `detect_anomaly()` hook into the engine without patching it.

Two small registries, each free when empty (the engine tests one list's truth per event):

- node observers: `observer(node, op, parents)` is called with every node the node constructor
  (`minigrad.value.apply`) makes, right after making it, with the op and the parent Values it
  was made from (a node that needs no gradient records neither); it may raise to refuse the
  node, or replace the node's `op` (with a checking copy, say).
- backward observers: `observer(output, grads)` is called with the finished gradient map of every
  backward pass, before anything is committed to `.grad`; raising leaves every `.grad` as it was.

This module imports nothing of the engine, so every layer may use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

NodeObserver = Callable[[Any, Any, tuple[Any, ...]], None]
BackwardObserver = Callable[[Any, dict[Any, Any]], None]

node_observers: list[NodeObserver] = []
"""Called with (node, op, parents) for each new node, in registration order."""
backward_observers: list[BackwardObserver] = []
"""Called with (output, gradient map) before any commit, in registration order."""

_lock = threading.Lock()


@contextmanager
def observing(
    node: NodeObserver | None = None, backward: BackwardObserver | None = None
) -> Iterator[None]:
    """Register a node observer and/or a backward observer for the duration of the block.

    Observers are process-wide (every thread sees them): the engine's hot paths read no
    per-thread state. Nested or concurrent blocks each add and remove their own observers.
    """
    with _lock:
        if node is not None:
            node_observers.append(node)
        if backward is not None:
            backward_observers.append(backward)
    try:
        yield
    finally:
        with _lock:
            if node is not None:
                node_observers.remove(node)
            if backward is not None:
                backward_observers.remove(backward)
