"""cycle_checked: memoized recursion that marks nodes in progress, so cycles get named.

The same walk as `memoized` (grad(v) = sum over consumers c of vjp(c, grad(c))), with two marks
per node instead of one: DONE (its gradient is in `grads`) and IN PROGRESS (its gradient is being
computed, so it is on the current recursion path). Reaching a node that is in progress means the
path has come back to where it started: a cycle, raised as CycleError with the nodes on it.
"""

from __future__ import annotations

from typing import Any

from minigrad.backward.graph import Node, WalkResult, consumers_of
from minigrad.backward.recursion import run_recursive
from minigrad.errors import CycleError


class _Pull:
    """The walk's state, explicit (as in `memoized`), plus the IN PROGRESS marks."""

    def __init__(self, root: Node, seed: Any, trace: list[Any] | None) -> None:
        self.root, self.seed, self.trace = root, seed, trace
        self.consumers = consumers_of(root)
        self.grads: dict[Any, Any] = {}  # the DONE marks: node -> its finished gradient
        self.local: dict[Any, Any] = {}  # op node -> the gradients its rule returned
        self.path: list[Any] = []  # the IN PROGRESS nodes, in recursion order
        self.in_progress: set[Any] = set()
        self.deepest = 0

    def grad_of(self, node: Any, depth: int) -> Any:
        if depth > self.deepest:
            self.deepest = depth
        grads = self.grads
        if node in grads:
            return grads[node]
        if node in self.in_progress:  # each node on the path is a parent of the next one
            raise CycleError(self.path[self.path.index(node) :])
        self.in_progress.add(node)
        self.path.append(node)
        total = self.seed if node is self.root else None  # the output: seed + its consumers
        local = self.local
        for consumer, position in self.consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(self.grad_of(consumer, depth + 1), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        self.path.pop()
        self.in_progress.discard(node)
        grads[node] = total
        if self.trace is not None:
            self.trace.append(node)
        return total

    def run(self) -> None:
        for node in reversed(list(self.consumers)):  # deepest-found first
            self.grad_of(node, 1)


def cycle_checked(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion with in-progress marks; raises CycleError on a cycle."""
    walk = _Pull(root, seed, trace)
    run_recursive("cycle_checked", len(walk.consumers), walk.run)
    if root.op is not None and root not in walk.local:  # a root whose parents need no gradient
        walk.local[root] = ()
    return WalkResult(walk.grads, len(walk.local), walk.deepest, trace or [])
