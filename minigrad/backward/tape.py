"""tape: sweep the forward's record of op nodes backwards; no graph search at all.

The forward pass already wrote down a topological order: every op node is appended to the
current thread's record (`recording.py`) as it is made, after its parents. So the backward pass
needs no ordering of its own:

    grads = {output: seed}
    for node in reversed(record):          # newest first: consumers before their parents
        if node has a gradient:
            add vjp(node, grad(node)) to its parents' gradients

A node's gradient is complete when the sweep reaches it, because everything that consumes it
was made after it. The sweep stops as soon as no reached op node is left to process.

Two things can break the record's promise, and both are detected, never silently wrong:
a graph rewired by hand after it was made (a parent receives a gradient after its own rule has
run: a cycle, or an edge against creation order), and a graph whose nodes were made in another
thread (they are not on this thread's record, so some reached node is never swept). In both
cases the walk hands over to `topological`, which computes the same gradients by searching the
graph (and names a cycle in a CycleError).
"""

from __future__ import annotations

from typing import Any

from minigrad.backward.graph import Node, WalkResult
from minigrad.backward.recording import entries
from minigrad.backward.topological import topological
from minigrad.errors import RequiresGradError


def tape(root: Node, seed: Any, *, trace: list[Any] | None = None) -> WalkResult:
    """Backward by one reverse sweep over the forward's record of op nodes."""
    grads: dict[Any, Any] = {root: seed}
    if root.op is None:
        return WalkResult(grads, 0, 1, [root] if trace is not None else [])
    pending = 1  # op nodes with a gradient whose rule has not run yet
    leaves: list[Any] = []  # traced after the sweep: a leaf's gradient is complete only then
    finished: set[Any] = set()  # op nodes whose rule has run
    get = grads.get
    calls = 0
    for entry in reversed(entries()):
        node = entry()  # None once the node was freed: get(None) is None, skipped like the rest
        grad = get(node)
        if grad is None or node.op is None:  # (an op node made a leaf by hand: no rule to run)
            continue
        calls += 1
        finished.add(node)
        parents = node.parents
        shares = node.op.vjp(grad, node)
        if len(parents) == 2 and trace is None:  # most nodes: the loop below, unrolled
            a, b = parents
            share_a, share_b = shares
            if a.requires_grad:
                so_far = get(a)
                if so_far is None:
                    grads[a] = share_a
                    pending += a.op is not None
                elif a in finished:  # its rule already ran: the record's order is broken
                    return _handed_over(root, seed, trace)
                else:
                    grads[a] = so_far + share_a
            elif a.op is not None:  # an op node's flag turned off by hand: refuse
                raise RequiresGradError(a, node)
            if b.requires_grad:
                so_far = get(b)
                if so_far is None:
                    grads[b] = share_b
                    pending += b.op is not None
                elif b in finished:
                    return _handed_over(root, seed, trace)
                else:
                    grads[b] = so_far + share_b
            elif b.op is not None:
                raise RequiresGradError(b, node)
            pending -= 1
            if not pending:
                return WalkResult(grads, calls, 1, [])
            continue
        if trace is not None:
            trace.append(node)
        for parent, parent_grad in zip(parents, shares):  # noqa: B905
            if not parent.requires_grad:
                if parent.op is not None:  # an op node's flag turned off by hand: refuse
                    raise RequiresGradError(parent, node)
                continue
            so_far = get(parent)
            if so_far is None:
                grads[parent] = parent_grad
                if parent.op is not None:
                    pending += 1
                elif trace is not None:
                    leaves.append(parent)
            elif parent in finished:  # its rule already ran: the record's order is broken
                return _handed_over(root, seed, trace)
            else:
                grads[parent] = so_far + parent_grad
        pending -= 1
        if not pending:
            if trace is not None:
                trace.extend(leaves)
            return WalkResult(grads, calls, 1, trace or [])
    return _handed_over(root, seed, trace)  # a reached node was not on this thread's record


def _handed_over(root: Node, seed: Any, trace: list[Any] | None) -> WalkResult:
    """The record cannot order this graph: let `topological` search it instead."""
    if trace is not None:
        trace.clear()
    return topological(root, seed, trace=trace)
