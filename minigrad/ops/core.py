"""The shape of an op, and the one place where broadcasting is undone.

An op pairs a forward function (numpy arrays or Python floats in, data out) with a
vector-Jacobian product rule. A rule receives the output gradient and the node, reads the node's
inputs and saved parameters, and RETURNS one gradient per parent (or None for a parent that needs
none). It never writes `.grad`: the backward strategies decide how gradients flow and when they
are stored.

An op whose forward broadcasts its inputs (`broadcasts=True`) states its rule as the plain
formula, with gradients shaped like the output; `Op.vjp` sums them back to each parent's shape
and dtype (`unbroadcast`), so no rule repeats that bookkeeping.

Each rule is written once for two kinds of operands. In a first-order backward pass it receives
raw data (floats, arrays). When a backward pass builds a graph of its own (`create_graph=True`,
for second derivatives), it receives graph nodes instead: the output gradient is a node, and
`node.data`, each parent's `.data` are the nodes themselves. So a rule uses only what both kinds
support — arithmetic operators, indexing, `.reshape`, `.transpose`, `.T`, `.sum(axis, keepdims)`,
`.shape`, `.ndim` — and `call(OP, ...)` for anything else (an exp, a broadcast, a scatter): `call`
runs the op's forward on data, and makes a node when an operand is a node. Masks and other
quantities that are not differentiated are read with `data_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np


class RuleNode(Protocol):
    """What a backward rule may read from a node (and from each of its parents)."""

    @property
    def data(self) -> Any: ...
    @property
    def parents(self) -> Sequence[RuleNode]: ...
    @property
    def saved(self) -> Any: ...
    @property
    def requires_grad(self) -> bool: ...


Grads = tuple[Any, ...]
Rule = Callable[[Any, RuleNode], Grads]

_NO_PARAMETERS: Any = object()
node_type: type | None = None
"""The graph node class (`minigrad.value.Value` registers itself here at import)."""
make_node: Callable[..., Any] | None = None
"""The node constructor (`minigrad.value.apply` registers itself here at import)."""


def call(op: Op, *args: Any, saved: Any = _NO_PARAMETERS) -> Any:
    """`op` applied to `args` inside a rule: data in, data out; a graph node in, a node out."""
    for arg in args:
        if type(arg) is node_type:
            assert make_node is not None
            if saved is _NO_PARAMETERS:
                return make_node(op, *args)
            return make_node(op, *args, saved=saved)
    return op.forward(*args) if saved is _NO_PARAMETERS else op.forward(*args, saved)


def data_of(x: Any) -> Any:
    """The raw data of a graph node, or `x` itself: for masks and counts that are not
    differentiated (a comparison, a tie count)."""
    if type(x) is node_type:
        return cast(Any, x).data
    return x


"""`rule(grad_out, node) -> (grad_parent_0, grad_parent_1, ...)`: one op's local derivative."""


@dataclass(frozen=True, slots=True)
class Op:
    """An operation: its name, its forward function and its vector-Jacobian product.

    Attributes:
        name: short name shown in graphs and errors ("mul", "tanh", ...).
        forward: computes the output data from the inputs' data (then the saved parameters, for
            an op that has them).
        rule: the local derivative, `rule(grad_out, node) -> one gradient per parent`.
        broadcasts: the forward broadcasts its inputs (numpy's rules), so `vjp` unbroadcasts
            what `rule` returns.
        vjp: what the walks call: `rule`, followed by `unbroadcast` when the op broadcasts.
        plain: the same op for a node where nothing was broadcast (every input has the
            output's shape and dtype, as always in scalar mode): its `vjp` is `rule` itself, so
            such a node's backward pays for no unbroadcasting. The node constructor picks it.
    """

    name: str
    forward: Callable[..., Any]
    rule: Rule
    broadcasts: bool = False
    vjp: Rule = field(init=False, repr=False, compare=False)
    plain: Op = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        vjp = _unbroadcasting(self.rule) if self.broadcasts else self.rule
        object.__setattr__(self, "vjp", vjp)
        object.__setattr__(
            self, "plain", Op(self.name, self.forward, self.rule) if self.broadcasts else self
        )

    def __repr__(self) -> str:
        return f"Op({self.name})"


def _unbroadcasting(rule: Rule) -> Rule:
    """`rule` followed by `unbroadcast` of each gradient to its parent's shape and dtype."""

    def vjp(g: Any, node: RuleNode) -> Grads:
        grads = rule(g, node)
        parents = node.parents
        if len(grads) == 2:  # the common case, spelled out
            a, b = grads
            return (
                None if a is None else unbroadcast(a, parents[0].data),
                None if b is None else unbroadcast(b, parents[1].data),
            )
        out = []
        for i, grad in enumerate(grads):
            out.append(None if grad is None else unbroadcast(grad, parents[i].data))
        return tuple(out)

    vjp.__doc__ = rule.__doc__
    return vjp


def unbroadcast(grad: Any, like: Any) -> Any:
    """Sum `grad` over the axes that broadcasting added, so it takes the shape of `like`.

    This is the only place minigrad undoes broadcasting. `like` is the parent's data: a Python
    float (scalar mode) takes a float back; an array takes an array of its shape and dtype.
    """
    if type(like) is not np.ndarray and type(data_of(like)) is float:  # a scalar-mode parent
        if type(grad) is float:
            return grad
        if isinstance(grad, np.ndarray | np.generic):
            return float(grad.sum())
        return grad if grad.shape == () else grad.sum()  # a graph node
    shape = like.shape
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        if extra > 0:
            grad = grad.sum(axis=tuple(range(extra)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
        if grad.shape != shape:  # a 0-d parent under a 0-d gradient that numpy made a scalar
            grad = grad.reshape(shape)
    dtype = getattr(like, "dtype", None)
    if isinstance(grad, np.ndarray | np.generic) and grad.dtype != dtype:
        grad = np.asarray(grad, dtype=dtype)
    return grad
