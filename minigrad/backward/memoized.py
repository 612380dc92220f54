"""memoized: each node's gradient computed exactly once, by recursion with a memo.

    grad(output) = seed
    grad(v)      = sum over consumers c of v of vjp(c, grad(c))[v's position in c]

This is naive recursion turned around (pull instead of push) and memoized: `grads` remembers
every finished gradient and `local` every rule's result, so each backward rule runs once per op
node: O(V + E). The recursion climbs from a node towards the output and stops at the first
finished gradient, so its depth is at most the longest path; deep graphs run with the recursion
limit raised for the walk alone (see `recursion.py`).
It keeps no in-progress marks, so it cannot see a cycle: on one it recurses until
GraphTooDeepError (use `cycle_checked` to get the cycle named).
"""

from __future__ import annotations

from typing import Any

from minigrad.backward.graph import Node, WalkResult, consumers_of
from minigrad.backward.recursion import run_recursive


class _Pull:
    """The walk's state, explicit: methods recurse through `self`, so no closure refers to
    itself and nothing outlives the walk (the graph is freed by reference counting)."""

    def __init__(self, root: Node, seed: Any, trace: list[Any] | None) -> None:
        self.root, self.seed, self.trace = root, seed, trace
        self.consumers = consumers_of(root)
        self.grads: dict[Any, Any] = {}  # node -> its finished gradient (the memo)
        self.local: dict[Any, Any] = {}  # op node -> the gradients its rule returned
        self.deepest = 0

    def grad_of(self, node: Any, depth: int) -> Any:
        if depth > self.deepest:
            self.deepest = depth
        grads = self.grads
        if node in grads:
            return grads[node]
        # The output's gradient is the seed, plus what its consumers send back: none in a DAG.
        # A cycle through the output is not seen (this walk keeps no in-progress marks): the
        # pull recurses around it until the recursion limit, as on any other cycle.
        total = self.seed if node is self.root else None
        local = self.local
        for consumer, position in self.consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(self.grad_of(consumer, depth + 1), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        grads[node] = total
        if self.trace is not None:
            self.trace.append(node)
        return total

    def run(self) -> None:
        for node in reversed(list(self.consumers)):  # deepest-found first
            self.grad_of(node, 1)


def memoized(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion: grad(v) = sum of its consumers' vector-Jacobian products."""
    walk = _Pull(root, seed, trace)
    run_recursive("memoized", len(walk.consumers), walk.run)
    if root.op is not None and root not in walk.local:  # a root whose parents need no gradient
        walk.local[root] = ()
    return WalkResult(walk.grads, len(walk.local), walk.deepest, trace or [])
