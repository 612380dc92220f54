"""cycle_checked: memoized recursion that marks nodes in progress, so cycles get named.

The same walk as `memoized` (grad(v) = sum over consumers c of vjp(c, grad(c))), with two marks
per node instead of one: DONE (its gradient is in `grads`) and IN PROGRESS (its gradient is being
computed, so it is on the current recursion path). Reaching a node that is in progress means the
path has come back to where it started: a cycle, raised as CycleError with the nodes on it.
"""

from __future__ import annotations

from typing import Any

from minigrad.backward.graph import Node, WalkResult
from minigrad.backward.memoized import Pull
from minigrad.errors import CycleError


class MarkedPull(Pull):
    """memoized's walk (`Pull`), plus the IN PROGRESS marks; `grads` holds the DONE ones."""

    strategy = "cycle_checked"

    def __init__(self, root: Node, seed: Any, trace: list[Any] | None) -> None:
        super().__init__(root, seed, trace)
        self.path: list[Any] = []  # the IN PROGRESS nodes, in recursion order
        self.in_progress: set[Any] = set()

    def enter(self, node: Any) -> None:
        if node in self.in_progress:  # each node on the path is a parent of the next one
            raise CycleError(self.path[self.path.index(node) :])
        self.in_progress.add(node)
        self.path.append(node)

    def leave(self, node: Any) -> None:
        self.path.pop()
        self.in_progress.discard(node)


def cycle_checked(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion with in-progress marks; raises CycleError on a cycle."""
    return MarkedPull(root, seed, trace).run()
