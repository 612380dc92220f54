"""topological: an iterative topological order, then one reverse sweep. No recursion at all.

1. Order: a depth-first search with an explicit stack lists every node after all of its parents
   (post-order). A node seen again while still IN PROGRESS is its own ancestor: a cycle.
2. Sweep: in reverse order every consumer comes before its parents, so when a node is reached its
   gradient is complete; its rule runs once and adds its parents' shares.

Time and memory are O(V + E); depth is limited only by memory (a 10^6-node chain works).
"""

from __future__ import annotations

from typing import Any

from minigrad.backward.graph import Node, WalkResult
from minigrad.errors import CycleError

_IN_PROGRESS = False
_DONE = True


def topological_order(root: Node) -> list[Any]:
    """Every node that needs a gradient, each after all of its parents; CycleError on a cycle."""
    order: list[Any] = []
    state: dict[Any, bool] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # all parents are ordered: the node can follow them
            state[node] = _DONE
            order.append(node)
            continue
        mark = state.get(node)
        if mark is _DONE:
            continue
        if mark is _IN_PROGRESS:
            # The expanded entries on the stack are the current DFS path, output first.
            path = [n for n, was_expanded in stack if was_expanded]
            raise CycleError(path[path.index(node) :][::-1])
        state[node] = _IN_PROGRESS
        stack.append((node, True))
        for parent in node.parents:
            if parent.requires_grad and state.get(parent) is not _DONE:
                stack.append((parent, False))
    return order


def topological(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by one sweep over the reverse topological order."""
    order = topological_order(root)
    grads: dict[Any, Any] = {root: seed}
    calls = 0
    for node in reversed(order):
        if trace is not None:
            trace.append(node)
        if node.op is None:
            continue
        calls += 1
        for parent, grad in zip(node.parents, node.op.vjp(grads[node], node), strict=True):
            if parent.requires_grad:
                if parent in grads:
                    grads[parent] = grads[parent] + grad
                else:
                    grads[parent] = grad
    return WalkResult(grads, calls, 1, trace or [])
