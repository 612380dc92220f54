"""A backward strategy of your own: Kahn's algorithm, registered as "kahn".

A strategy is a function `walk(root, seed, *, trace=None) -> WalkResult`. It returns a gradient
map and never writes `.grad`: minigrad's driver seeds it, times it and commits the map afterwards.

Kahn's algorithm needs no recursion and no depth-first search: count, for every node, how many
consumers still owe it a gradient; a node is ready when that count reaches zero, because then its
gradient is complete. Start from the output (the one node nobody consumes) and run each ready
node's backward rule once. Nodes left waiting at the end sit on a cycle.

    python examples/custom_strategy.py
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.backward import Node, WalkResult, consumers_of


def kahn(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward in Kahn's order: a node runs once all of its consumers have sent it a gradient."""
    consumers = consumers_of(root)  # node -> [(consumer, argument position), ...]
    waiting = {node: len(uses) for node, uses in consumers.items()}
    ready = deque(node for node, count in waiting.items() if count == 0)  # the output
    grads: dict[Any, Any] = {root: seed}  # keyed by node identity
    calls = finished = 0
    while ready:
        node = ready.popleft()
        finished += 1
        if trace is not None:
            trace.append(node)
        if node.op is None:  # a leaf: its gradient is complete, nothing to pass on
            continue
        calls += 1
        for parent, grad in zip(node.parents, node.op.vjp(grads[node], node), strict=True):
            if not parent.requires_grad:
                continue
            grads[parent] = grads[parent] + grad if parent in grads else grad  # out of place
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    if finished < len(consumers):  # some nodes never became ready: they wait on a cycle
        raise mg.CycleError(_a_cycle({n for n, count in waiting.items() if count}, consumers))
    return WalkResult(grads, vjp_calls=calls, max_depth=1, visits=trace or [])


def _a_cycle(stuck: set[Any], consumers: dict[Any, list[tuple[Any, int]]]) -> list[Any]:
    """Follow unfinished consumers from a stuck node until one repeats: that loop is a cycle."""
    order: dict[Any, int] = {}  # node -> its position on the path (keyed by identity)
    node = next(n for n in consumers if n in stuck)  # the first stuck node found
    while node not in order:
        order[node] = len(order)
        node = next(c for c, _ in consumers[node] if c in stuck)  # each: a parent of the next
    return list(order)[order[node] :]


def main() -> None:
    mg.register_strategy("kahn", kahn, replace=True)  # replace=True: safe to run twice

    # The reused node of micrograd issue 21: a = 1; b = a + a; c = b + b, so dc/da = 4.
    a = mg.Value(1.0, label="a")
    b = a + a
    c = b + b
    stats = c.backward(strategy="kahn")
    print(f"reuse: dc/da = {a.grad}, vjp_calls = {stats.vjp_calls}")

    # A small tensor net: kahn and topological give the same gradients and the same counts.
    rng = np.random.default_rng(0)
    W1 = mg.Value(rng.normal(size=(4, 3)), label="W1")
    W2 = mg.Value(rng.normal(size=(1, 4)), label="W2")
    x = mg.Value(rng.normal(size=3), requires_grad=False)
    loss = (W2 @ (W1 @ x).tanh()).sigmoid().sum()
    for name in ("kahn", "topological"):
        W1.zero_grad()
        W2.zero_grad()
        stats = loss.backward(strategy=name)
        print(
            f"{name:<12} |dW1| = {np.linalg.norm(W1.grad):.12f}  "
            f"|dW2| = {np.linalg.norm(W2.grad):.12f}  vjp_calls = {stats.vjp_calls}"
        )

    # A cycle (made by rewiring a node's parents) is named, as topological and cycle_checked do.
    y = x.sum() * W1.sum()
    z = y.tanh()
    y.parents = (z, y.parents[1])
    try:
        z.backward(strategy="kahn")
    except mg.CycleError as error:
        print(f"cycle: {error}")


if __name__ == "__main__":
    main()
