"""Einstein summation over any number of operands, with an explicit output.

`saved` is `(inputs, output)`: one string of subscript letters per operand and the output's
letters (`"ij,jk->ik"` is `(("ij", "jk"), "ik")`). Each letter appears at most once per operand
(no diagonals), so the gradient of one operand is itself an einsum: the output gradient
contracted with the other operands, onto that operand's letters. A letter that only that operand
has (summed away in the forward) comes back as a broadcast. The op broadcasts, so operands with
size-1 axes and float (scalar-mode) operands get their gradients back in their own shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of
from minigrad.ops.shape import BROADCAST_TO

Subscripts = tuple[tuple[str, ...], str]


def spec(subscripts: Subscripts) -> str:
    """numpy's spelling of saved subscripts: (("ij", "jk"), "ik") -> "ij,jk->ik"."""
    inputs, output = subscripts
    return f"{','.join(inputs)}->{output}"


def _einsum(*datas_and_subscripts: Any) -> Any:
    *datas, subscripts = datas_and_subscripts
    return np.einsum(spec(subscripts), *datas)


def _einsum_vjp(g: Any, node: RuleNode) -> Grads:
    """d einsum(x_1, ..., x_n) / d x_i = einsum(g, x_j for j != i) onto x_i's letters"""
    inputs, output = node.saved
    parents = node.parents
    grads: list[Any] = []
    for i, parent in enumerate(parents):
        if not parent.requires_grad:
            grads.append(None)
            continue
        others = [p.data for j, p in enumerate(parents) if j != i]
        other_letters = [s for j, s in enumerate(inputs) if j != i]
        present = set(output).union(*other_letters)
        mine = inputs[i]
        kept = "".join(c for c in mine if c in present)
        grad = call(EINSUM, g, *others, saved=((output, *other_letters), kept))
        if kept != mine:  # letters summed away in this operand alone: constant along them
            sizes = iter(np.shape(data_of(grad)))
            shape = np.shape(data_of(parent.data))
            kept_shape = [next(sizes) if c in present else 1 for c in mine]
            pairs = zip(kept_shape, shape, mine, strict=True)
            full = tuple(k if c in present else n for k, n, c in pairs)
            grad = call(BROADCAST_TO, grad.reshape(tuple(kept_shape)), saved=full)
        grads.append(grad)
    return tuple(grads)


EINSUM = Op("einsum", _einsum, _einsum_vjp, broadcasts=True)
