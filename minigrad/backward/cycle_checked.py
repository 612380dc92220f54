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


def cycle_checked(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by memoized recursion with in-progress marks; raises CycleError on a cycle."""
    consumers = consumers_of(root)
    if consumers[root]:  # the output feeds a node below it: a cycle through the output itself
        loop = [root]
        while loop[-1] is not root or len(loop) == 1:
            loop.append(consumers[loop[-1]][0][0])
            if loop.count(loop[-1]) > 1:
                loop = loop[loop.index(loop[-1]) : -1]
                break
        raise CycleError(loop[::-1] if loop[0] is root else loop)
    grads: dict[Any, Any] = {root: seed}  # the DONE marks
    local: dict[Any, Any] = {}
    path: list[Any] = []  # the IN PROGRESS nodes, in recursion order
    in_progress: set[Any] = set()
    deepest = 0
    if trace is not None:
        trace.append(root)

    def grad_of(node: Any, depth: int) -> Any:
        nonlocal deepest
        if depth > deepest:
            deepest = depth
        if node in grads:
            return grads[node]
        if node in in_progress:  # each node on the path is a parent of the next one
            raise CycleError(path[path.index(node) :])
        in_progress.add(node)
        path.append(node)
        total = None
        for consumer, position in consumers[node]:
            if consumer not in local:
                local[consumer] = consumer.op.vjp(grad_of(consumer, depth + 1), consumer)
            part = local[consumer][position]
            total = part if total is None else total + part
        path.pop()
        in_progress.discard(node)
        grads[node] = total
        if trace is not None:
            trace.append(node)
        return total

    def walk() -> None:
        for node in reversed(list(consumers)):
            grad_of(node, 1)

    try:
        run_recursive("cycle_checked", len(consumers), walk)
    finally:
        # break the cycle grad_of -> its closure cell -> grad_of (see memoized.py)
        grad_of = None  # type: ignore[assignment]
    if root.op is not None and root not in local:
        local[root] = ()
    return WalkResult(grads, len(local), deepest, trace or [])
