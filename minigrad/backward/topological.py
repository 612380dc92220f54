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
from minigrad.errors import CycleError, RequiresGradError

_IN_PROGRESS = False
_DONE = True
_FINISH = object()
"""Pushed above a node being expanded: once popped, all the node's parents are ordered."""


def topological_order(root: Node) -> list[Any]:
    """Every node that needs a gradient, each after all of its parents; CycleError on a cycle."""
    order: list[Any] = []
    state: dict[Any, bool] = {}
    mark = state.get
    stack: list[Any] = [root]
    push, pop = stack.append, stack.pop  # bound once: this loop runs for every node and edge
    while stack:
        node = pop()
        if node is _FINISH:  # the node below it has all its parents ordered: it can follow them
            node = pop()
            state[node] = _DONE
            order.append(node)
            continue
        seen = mark(node)
        if seen is _DONE:
            continue
        if seen is _IN_PROGRESS:
            # The nodes under a _FINISH marker are the current DFS path, output first.
            path = [stack[i - 1] for i, item in enumerate(stack) if item is _FINISH]
            raise CycleError(path[path.index(node) :][::-1])
        state[node] = _IN_PROGRESS
        push(node)
        push(_FINISH)
        for parent in node.parents:
            if parent.requires_grad:
                if mark(parent) is not _DONE:
                    push(parent)
            elif parent.op is not None:  # an op node's flag turned off by hand: refuse
                raise RequiresGradError(parent, node)
    return order


def topological(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by one sweep over the reverse topological order."""
    order = topological_order(root)
    if trace is not None:
        trace.extend(reversed(order))
    grads: dict[Any, Any] = {root: seed}
    pending = grads.get  # the hot loop: one lookup per parent, no method resolution
    calls = 0
    for node in reversed(order):
        op = node.op
        if op is None:  # a leaf: its gradient is complete, nothing to pass on
            continue
        calls += 1
        parents = node.parents
        shares = op.vjp(grads[node], node)
        if len(parents) == 2:  # most nodes: the loop below, unrolled (a sixth of the sweep)
            a, b = parents
            share_a, share_b = shares
            if a.requires_grad:
                so_far = pending(a)
                grads[a] = share_a if so_far is None else so_far + share_a
            if b.requires_grad:
                so_far = pending(b)
                grads[b] = share_b if so_far is None else so_far + share_b
            continue
        for parent, grad in zip(parents, shares):  # noqa: B905 - hot loop
            if parent.requires_grad:
                so_far = pending(parent)
                grads[parent] = grad if so_far is None else so_far + grad
    return WalkResult(grads, calls, 1, trace or [])
