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


def memoized(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion: grad(v) = sum of its consumers' vector-Jacobian products."""
    consumers = consumers_of(root)
    grads: dict[Any, Any] = {}
    local: dict[Any, Any] = {}  # op node -> the gradients its rule returned for its parents
    deepest = 0

    def grad_of(node: Any, depth: int) -> Any:
        nonlocal deepest
        if depth > deepest:
            deepest = depth
        if node in grads:
            return grads[node]
        # The output's gradient is the seed, plus what its consumers send back: none in a DAG.
        # A cycle through the output is not seen (this walk keeps no in-progress marks): the
        # pull recurses around it until the recursion limit, as on any other cycle.
        total = seed if node is root else None
        for consumer, position in consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(grad_of(consumer, depth + 1), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        grads[node] = total
        if trace is not None:
            trace.append(node)
        return total

    def walk() -> None:
        for node in reversed(list(consumers)):  # deepest-found first
            grad_of(node, 1)

    try:
        run_recursive("memoized", len(consumers), walk)
    finally:
        # A recursive closure refers to itself through its closure cell: a reference cycle that
        # would keep the whole graph and its gradients (in `grads`, `local`, `consumers`) alive
        # until the cycle collector runs. Emptying the cell lets reference counting free them.
        grad_of = None  # type: ignore[assignment]
    if root.op is not None and root not in local:  # a root whose parents need no gradient
        local[root] = ()
    return WalkResult(grads, len(local), deepest, trace or [])
