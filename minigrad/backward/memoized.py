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


class Pull:
    """The walk's state, explicit: methods recurse through `self`, so no closure refers to
    itself and nothing outlives the walk (the graph is freed by reference counting).

    `enter` and `leave` bracket the computation of one node's gradient; here they do nothing,
    and `cycle_checked` overrides them to keep its in-progress marks.
    """

    strategy = "memoized"

    def __init__(self, root: Node, seed: Any, trace: list[Any] | None) -> None:
        self.root, self.seed, self.trace = root, seed, trace
        self.consumers = consumers_of(root)
        self.grads: dict[Any, Any] = {}  # node -> its finished gradient (the memo)
        self.local: dict[Any, Any] = {}  # op node -> the gradients its rule returned
        self.deepest = 0

    def enter(self, node: Any) -> None:
        """About to compute `node`'s gradient."""

    def leave(self, node: Any) -> None:
        """`node`'s gradient is finished."""

    def grad_of(self, node: Any, depth: int) -> Any:
        if depth > self.deepest:
            self.deepest = depth
        grads = self.grads
        if node in grads:
            return grads[node]
        self.enter(node)
        # The output's gradient is the seed, plus what its consumers send back: none in a DAG.
        # Without in-progress marks a cycle (through the output or elsewhere) is not seen: the
        # pull recurses around it until the recursion limit.
        total = self.seed if node is self.root else None
        local = self.local
        for consumer, position in self.consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(self.grad_of(consumer, depth + 1), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        self.leave(node)
        grads[node] = total
        if self.trace is not None:
            self.trace.append(node)
        return total

    def run(self) -> WalkResult:
        """Pull every node's gradient, deepest-found first; the walk's result."""

        def pull_all() -> None:
            for node in reversed(list(self.consumers)):
                self.grad_of(node, 1)

        run_recursive(self.strategy, len(self.consumers), pull_all)
        root = self.root
        if root.op is not None and root not in self.local:  # its parents need no gradient
            self.local[root] = ()
        return WalkResult(self.grads, len(self.local), self.deepest, self.trace or [])


def memoized(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion: grad(v) = sum of its consumers' vector-Jacobian products."""
    return Pull(root, seed, trace).run()
