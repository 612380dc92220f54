"""Every op's backward rule against central differences, under every built-in strategy.

Each case builds fresh input Values, reduces the op's output to one number with fixed, uneven
weights (so a transposed or misplaced gradient cannot hide behind a plain sum), and asks
`minigrad.testing.gradcheck` to compare backward() with central differences. A second backward
then checks that every gradient has its input's type, shape and dtype.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import minigrad as mg
import minigrad.ops as mg_ops
from minigrad.ops.conv import window_winners
from minigrad.testing import gradcheck, gradgradcheck, numerical_grad
from minigrad.value import apply

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")

Shape = tuple[int, ...]
Fn = Callable[..., mg.Value]


def data(shape: Shape | None, seed: int, positive: bool = False) -> Any:
    """Test data: a float for shape None (scalar mode), else an array; never near 0."""
    rng = np.random.default_rng(seed)
    size = 1 if shape is None else int(np.prod(shape))
    magnitude = rng.uniform(0.5, 1.8, size)
    values = magnitude if positive else magnitude * rng.choice([-1.0, 1.0], size)
    return float(values[0]) if shape is None else values.reshape(shape)


def distinct(shape: Shape, seed: int) -> np.ndarray:
    """Array whose entries are pairwise at least 0.1 apart (no ties for max)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 - size * 0.05).reshape(shape)


def weighted(out: mg.Value) -> mg.Value:
    """Reduce `out` to one element with weights that differ from entry to entry."""
    if isinstance(out.data, float) or out.data.size == 1:
        return out
    size = out.data.size
    weights = (np.cos(np.arange(size) * 1.3 + 0.4) + 1.5).reshape(out.shape)
    product: mg.Value = out * weights
    return product.sum()


@dataclass(frozen=True)
class Case:
    """One op applied to inputs: `fn(*inputs)`; `inputs()` makes fresh Values each time."""

    name: str
    fn: Fn
    make: Callable[[], tuple[mg.Value, ...]]

    def __str__(self) -> str:
        return self.name


def values(*items: Any) -> Callable[[], tuple[mg.Value, ...]]:
    """A maker of fresh Values from data (copied, so cases never share arrays)."""

    def make() -> tuple[mg.Value, ...]:
        return tuple(mg.Value(x if isinstance(x, float) else np.array(x)) for x in items)

    return make


def check(fn: Fn, inputs: tuple[mg.Value, ...], strategy: str) -> None:
    """gradcheck `weighted(fn(...))`, then check each gradient's type, shape and dtype."""

    def loss(*xs: mg.Value) -> mg.Value:
        return weighted(fn(*xs))

    assert gradcheck(loss, *inputs, strategy=strategy, rtol=1e-5, atol=1e-7)
    stats = loss(*inputs).backward(strategy=strategy)
    assert stats.strategy == strategy
    for x in inputs:
        if isinstance(x.data, float):
            assert type(x.grad) is float
        else:
            assert isinstance(x.grad, np.ndarray)
            assert x.grad.shape == x.data.shape
            assert x.grad.dtype == x.data.dtype


# -- binary arithmetic ----------------------------------------------------------------------

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}

# (left shape, right shape); None is scalar mode (a float), () a 0-d array.
SHAPE_PAIRS: list[tuple[Shape | None, Shape | None]] = [
    (None, None),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((3, 1), (1, 4)),
    ((2, 1, 3), (4, 1)),
    ((4, 1), (2, 1, 3)),
    ((2, 3), ()),
    ((), (2, 3)),
    (None, (2, 3)),
    ((2, 3), None),
]


def operand(op: str, side: str, shape: Shape | None, seed: int) -> Any:
    # Bases of ** and divisors of / stay positive; everything else takes both signs.
    positive = (op == "pow" and side == "left") or (op == "div" and side == "right")
    return data(shape, seed, positive=positive)


def binary_cases() -> list[Case]:
    cases = []
    for op, f in BINARY.items():
        for i, (left, right) in enumerate(SHAPE_PAIRS):
            a = operand(op, "left", left, 10 + i)
            b = operand(op, "right", right, 40 + i)
            tag = f"{op}-{left}-{right}"
            # Both operands are Values that need a gradient.
            cases.append(Case(f"{tag}-values", f, values(a, b)))
            # A number or an array on the right, then on the left (the reflected operator).
            cases.append(Case(f"{tag}-const-right", lambda x, f=f, b=b: f(x, b), values(a)))
            cases.append(Case(f"{tag}-const-left", lambda x, f=f, a=a: f(a, x), values(b)))
    # Python ints on either side, and numpy scalars.
    x = data((2, 3), 7)
    p = data((2, 3), 8, positive=True)
    for op, f in BINARY.items():
        base = p if op == "pow" else x
        cases.append(Case(f"{op}-int-right", lambda v, f=f: f(v, 2), values(base)))
        cases.append(Case(f"{op}-int-left", lambda v, f=f: f(3, v), values(p)))
        cases.append(
            Case(f"{op}-np-float-right", lambda v, f=f: f(v, np.float64(1.5)), values(base))
        )
    return cases


POWERS: list[tuple[str, Any, Any]] = [
    # (name, base data, exponent): Value ** number, the exponent a saved constant.
    ("square", data((2, 3), 1), 2),
    ("cube-negative-base", data((2, 3), 2), 3),
    ("sqrt", data((2, 3), 3, positive=True), 0.5),
    ("negative-fractional", data((2, 3), 4, positive=True), -1.5),
    ("reciprocal", data((2, 3), 5), -1),
    ("zero", data((2, 3), 6), 0),
    ("one", data((2, 3), 7), 1.0),
    ("scalar-square", data(None, 8), 2),
    ("scalar-cube-negative", -1.3, 3),
    ("scalar-sqrt", data(None, 9, positive=True), 0.5),
    ("scalar-negative-fractional", data(None, 10, positive=True), -2.5),
    ("float32-exponent", data((3,), 11, positive=True), np.float32(1.5)),
]


def power_cases() -> list[Case]:
    cases = [Case(f"pow-number-{name}", lambda v, n=n: v**n, values(x)) for name, x, n in POWERS]
    # Reflected power: number ** Value and array ** Value, broadcasting both ways.
    cases += [
        Case("rpow-number-scalar", lambda v: 2.0**v, values(data(None, 1))),
        Case("rpow-int-scalar", lambda v: 3**v, values(data(None, 2))),
        Case("rpow-number-tensor", lambda v: 1.7**v, values(data((2, 3), 3))),
        Case("rpow-e", lambda v: np.e**v, values(data((3,), 4))),
        Case(
            "rpow-array-broadcast",
            lambda v: data((4, 1), 5, positive=True) ** v,
            values(data((3,), 6)),
        ),
        Case(
            "rpow-array-broadcast-other-way",
            lambda v: data((3,), 7, positive=True) ** v,
            values(data((2, 1), 8)),
        ),
        Case("pow-array-exponent", lambda v: v ** data((2, 3), 9), values(data((3,), 10, True))),
    ]
    return cases


def unary_cases() -> list[Case]:
    cases = []
    for shape in (None, (), (5,), (2, 3)):
        x = data(shape, 20)
        p = data(shape, 21, positive=True)
        big = x * 6.0
        tag = "scalar" if shape is None else str(shape)
        cases += [
            Case(f"neg-{tag}", lambda v: -v, values(x)),
            Case(f"exp-{tag}", lambda v: v.exp(), values(x)),
            Case(f"log-{tag}", lambda v: v.log(), values(p)),
            Case(f"tanh-{tag}", lambda v: v.tanh(), values(x)),
            Case(f"sigmoid-{tag}", lambda v: v.sigmoid(), values(x)),
            Case(f"sigmoid-wide-{tag}", lambda v: v.sigmoid(), values(big)),
            Case(f"relu-{tag}", lambda v: v.relu(), values(x)),
            Case(f"softplus-{tag}", lambda v: v.softplus(), values(x)),
            Case(f"softplus-wide-{tag}", lambda v: v.softplus(), values(big)),
        ]
    cases += [
        Case("sigmoid-far-negative", lambda v: v.sigmoid(), values(-12.5)),
        Case("sigmoid-far-positive", lambda v: v.sigmoid(), values(np.array([12.5, -14.0]))),
        Case("relu-negative-scalar", lambda v: v.relu(), values(-0.7)),
        # Composite: a node used twice, and ops feeding ops.
        Case("tanh-of-product-reused", lambda v: (v * v).tanh() * v, values(data((2, 3), 22))),
    ]
    return cases


MATMUL_SHAPES: list[tuple[Shape, Shape]] = [
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((4, 1, 2, 3), (5, 3, 2)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
]


def matmul_cases() -> list[Case]:
    cases = []
    for i, (left, right) in enumerate(MATMUL_SHAPES):
        a = data(left, 60 + i)
        b = data(right, 80 + i)
        tag = f"matmul-{left}-{right}"
        cases += [
            Case(f"{tag}-values", lambda x, y: x @ y, values(a, b)),
            Case(f"{tag}-array-right", lambda x, b=b: x @ b, values(a)),
            Case(f"{tag}-array-left", lambda y, a=a: a @ y, values(b)),
        ]
    # The same Value on both sides: x^T x.
    cases.append(Case("matmul-gram", lambda x: x.T @ x, values(data((3, 2), 99))))
    return cases


def linear_cases() -> list[Case]:
    """The fused x @ W.T + b node, for a batch and a single sample, with and without a bias."""
    from minigrad.nn.functional import linear

    w, b = data((4, 3), 110), data((4,), 111)
    cases = []
    for name, x in (("batch", data((5, 3), 112)), ("sample", data((3,), 113))):
        cases += [
            Case(f"linear-{name}", lambda x, w, b: linear(x, w, b), values(x, w, b)),
            Case(f"linear-{name}-no-bias", lambda x, w: linear(x, w), values(x, w)),
            Case(f"linear-{name}-array-input", lambda w, b, x=x: linear(x, w, b), values(w, b)),
        ]
    # A stack of batches is not fused: the three ops compute it, with the same gradients.
    cases.append(
        Case("linear-stacked", lambda x, w, b: linear(x, w, b), values(data((2, 5, 3), 114), w, b))
    )
    return cases


def loss_cases() -> list[Case]:
    """The fused losses: mean squared error (prediction, target, or both differentiated) and
    cross-entropy (the logits; labels are its saved parameter)."""
    from minigrad.nn.functional import cross_entropy, mse_loss

    p, t = data((4, 3), 115), data((4, 3), 116)
    labels = np.array([2, 0, 1, 2])
    return [
        Case("mse-both", lambda p, t: apply(mg_ops.MSE, p, t), values(p, t)),
        Case("mse-loss-batch", lambda p, t=t: mse_loss(p, t), values(p)),
        Case("mse-1d", lambda p, t=t[0]: mse_loss(p, t), values(p[0])),
        Case("cross-entropy", lambda z: cross_entropy(z, labels), values(p)),
        Case("cross-entropy-large", lambda z: cross_entropy(z * 50.0, labels), values(p)),
    ]


AXES: list[int | tuple[int, ...] | None] = [None, 0, 1, -1, (0, 2), (2, 0, 1)]


def reduction_cases() -> list[Case]:
    cases = []
    for name in ("sum", "mean", "max"):
        for axis in AXES:
            for keepdims in (False, True):
                cases.append(
                    Case(
                        f"{name}-axis{axis}-keepdims{keepdims}",
                        lambda v, name=name, axis=axis, keepdims=keepdims: getattr(v, name)(
                            axis=axis, keepdims=keepdims
                        ),
                        values(distinct((2, 3, 4), 30)),
                    )
                )
        cases += [
            Case(f"{name}-1d", lambda v, name=name: getattr(v, name)(), values(distinct((5,), 31))),
            Case(f"{name}-0d", lambda v, name=name: getattr(v, name)(), values(np.array(1.3))),
            Case(f"{name}-scalar-mode", lambda v, name=name: getattr(v, name)(), values(-0.8)),
            Case(
                f"{name}-then-broadcast",
                lambda v, name=name: v - getattr(v, name)(axis=1, keepdims=True),
                values(distinct((3, 4), 32)),
            ),
        ]
    return cases


def shape_cases() -> list[Case]:
    x = distinct((2, 3, 4), 40)
    m = distinct((3, 5), 41)
    mask = np.arange(15).reshape(3, 5) % 3 == 0
    indexings: list[tuple[str, Any]] = [
        ("int", 1),
        ("negative-int", -1),
        ("slice", (slice(None), slice(1, 3))),
        ("reversed", slice(None, None, -1)),
        ("ellipsis", (Ellipsis, 0)),
        ("newaxis", (None, 1)),
        ("int-slice-int", (1, slice(None), 2)),
        ("repeated-fancy", [0, 0, 1, 0]),
        ("repeated-fancy-pairs", ([0, 0, 1], [2, 2, 2])),
        ("repeated-fancy-array", np.array([1, 1, 1])),
        ("slice-and-repeated-fancy", (slice(None), [1, 1, 0])),
    ]
    cases = [
        Case("reshape-tuple", lambda v: v.reshape((4, 6)), values(x)),
        Case("reshape-args", lambda v: v.reshape(6, 4), values(x)),
        Case("reshape-flat", lambda v: v.reshape(-1), values(x)),
        Case("reshape-infer", lambda v: v.reshape(3, -1, 2), values(x)),
        Case("reshape-to-0d", lambda v: v.reshape(()), values(np.array([0.7]))),
        Case("transpose-reverse", lambda v: v.transpose(), values(x)),
        Case("transpose-axes", lambda v: v.transpose(1, 0, 2), values(x)),
        Case("transpose-tuple", lambda v: v.transpose((2, 0, 1)), values(x)),
        Case("T-3d", lambda v: v.T, values(x)),
        Case("T-2d", lambda v: v.T, values(m)),
        Case("T-1d", lambda v: v.T, values(m[0])),
        Case("mask", lambda v: v[mask], values(m)),
        Case("index-then-matmul", lambda v: v[0] @ v[1:].T, values(m)),
    ]
    cases += [Case(f"getitem-{name}", lambda v, i=i: v[i], values(x)) for name, i in indexings]
    # The two ops the gradients of getitem and of the reductions are made of (second order).
    scatter = (np.array([0, 2, 0]), (4, 5), np.dtype(np.float64))
    cases += [
        Case("broadcast_to", lambda v: apply(mg_ops.BROADCAST_TO, v, saved=x.shape), values(x[0])),
        Case("scatter", lambda v: apply(mg_ops.SCATTER, v, saved=scatter), values(m[:3])),
    ]
    return cases


def layer_op_cases() -> list[Case]:
    """Convolution and pooling (`ops.conv`), and the ops their gradients are made of."""
    x = data((2, 2, 5, 5), 120)
    w = data((3, 2, 3, 3), 121)
    b = data((3,), 122)
    odd = data((1, 2, 5, 6), 123)  # a width the stride does not divide
    w23 = data((2, 2, 2, 3), 124)
    same, strided = ((1, 1), (1, 1)), ((2, 2), (0, 0))
    pooled = distinct((2, 2, 5, 5), 125)  # no ties: the maximum is unique in every window
    g = data((2, 3, 5, 5), 126)
    g_pool = data((2, 2, 2, 2), 127)
    overlapping = ((3, 3), (2, 2), (1, 1))  # windows share entries: their gradients add up
    pooled_out = mg_ops.MAX_POOL2D.forward(pooled, overlapping)
    winners = window_winners(pooled, pooled_out, overlapping)
    g_overlap = data((2, 2, 3, 3), 128)

    def conv(saved: Any) -> Fn:
        return lambda *v: apply(mg_ops.CONV2D, *v, saved=saved)

    def pool(op: mg_ops.Op, saved: Any) -> Fn:
        return lambda v: apply(op, v, saved=saved)

    return [
        Case("conv2d-padded-bias", conv(same), values(x, w, b)),
        Case("conv2d-strided-no-bias", conv(((2, 1), (0, 1))), values(odd, w23)),
        Case(
            "conv2d-array-input",
            lambda v, x=x: apply(mg_ops.CONV2D, x, v, saved=strided),
            values(w),
        ),
        Case(
            "conv2d_grad_input",
            lambda u, v: apply(mg_ops.CONV2D_GRAD_INPUT, u, v, saved=(*same, (5, 5))),
            values(g, w),
        ),
        Case(
            "conv2d_grad_weight",
            lambda u, v: apply(mg_ops.CONV2D_GRAD_WEIGHT, u, v, saved=(*same, (3, 3))),
            values(x, g),
        ),
        Case("max_pool2d", pool(mg_ops.MAX_POOL2D, ((2, 2), (2, 2), (0, 0))), values(pooled)),
        Case(
            "max_pool2d-overlapping-padded",
            pool(mg_ops.MAX_POOL2D, overlapping),
            values(pooled),
        ),
        Case(
            "max_pool2d_grad-overlapping",
            pool(mg_ops.MAX_POOL2D_GRAD, (winners, (5, 5), overlapping)),
            values(g_overlap),
        ),
        Case("avg_pool2d", pool(mg_ops.AVG_POOL2D, ((2, 2), (2, 2), (0, 0))), values(x)),
        Case(
            "avg_pool2d-overlapping-padded",
            pool(mg_ops.AVG_POOL2D, ((3, 2), (2, 1), (1, 0))),
            values(odd),
        ),
        Case(
            "avg_pool2d_grad",
            pool(mg_ops.AVG_POOL2D_GRAD, ((2, 2), (2, 2), (0, 0), (5, 5))),
            values(g_pool),
        ),
    ]


def more_unary_cases() -> list[Case]:
    """abs, sqrt, sin, cos, exp2, log1p, expm1, sign and clip, scalar and tensor mode."""
    cases = []
    for shape in (None, (2, 3)):
        x = data(shape, 23)
        p = data(shape, 24, positive=True)
        tag = "scalar" if shape is None else str(shape)
        cases += [
            Case(f"abs-{tag}", lambda v: v.abs(), values(x)),
            Case(f"abs-builtin-{tag}", lambda v: abs(v), values(-p)),
            Case(f"sqrt-{tag}", lambda v: v.sqrt(), values(p)),
            Case(f"sin-{tag}", lambda v: v.sin(), values(x * 2.0)),
            Case(f"cos-{tag}", lambda v: v.cos(), values(x * 2.0)),
            Case(f"exp2-{tag}", lambda v: v.exp2(), values(x)),
            Case(f"log1p-{tag}", lambda v: v.log1p(), values(p - 0.4)),
            Case(f"expm1-{tag}", lambda v: v.expm1(), values(x)),
            Case(f"sign-times-x-{tag}", lambda v: v.sign() * v, values(x)),
            Case(f"clip-{tag}", lambda v: v.clip(-0.9, 1.1), values(x)),
        ]
    cases += [
        Case("clip-lower-only", lambda v: v.clip(lo=0.2), values(data((2, 3), 25))),
        Case("clip-array-bound", lambda v: v.clip(np.full(3, -0.8), 0.9), values(data((2, 3), 6))),
        Case("clip-scalar-below", lambda v: v.clip(1.0, 2.0), values(0.3)),
    ]
    return cases


def more_reduction_cases() -> list[Case]:
    """min, prod, cumsum, and the composed var, std, logsumexp, softmax and log_softmax."""
    x = distinct((2, 3, 4), 33)
    m = data((3, 4), 34)
    one_zero = np.array([[0.0, 1.3, -0.7], [0.9, -1.1, 1.4]])
    two_zeros = np.array([[0.0, 1.3, 0.0], [0.9, -1.1, 1.4]])
    return [
        Case("min-all", lambda v: v.min(), values(x)),
        Case("min-axis1", lambda v: v.min(axis=1), values(x)),
        Case("min-axes-keepdims", lambda v: v.min(axis=(0, 2), keepdims=True), values(x)),
        Case("min-scalar-mode", lambda v: v.min(), values(-0.8)),
        Case("prod-all", lambda v: v.prod(), values(m * 0.9)),
        Case("prod-axis1-keepdims", lambda v: v.prod(axis=1, keepdims=True), values(m)),
        Case("prod-axes", lambda v: v.prod(axis=(0, 2)), values(data((2, 3, 2), 35))),
        Case("prod-one-zero", lambda v: v.prod(axis=1), values(one_zero)),
        Case("prod-two-zeros-all", lambda v: v.prod(), values(two_zeros)),
        Case("prod-scalar-mode", lambda v: v.prod(), values(1.3)),
        Case("cumsum-axis0", lambda v: v.cumsum(0), values(m)),
        Case("cumsum-axis-last", lambda v: v.cumsum(-1), values(x)),
        Case("cumsum-flat", lambda v: v.cumsum(), values(m)),
        Case("cumsum-scalar-mode", lambda v: v.cumsum(), values(0.6)),
        Case("var-all", lambda v: v.var(), values(m)),
        Case("var-axis1-ddof1-keepdims", lambda v: v.var(axis=1, ddof=1, keepdims=True), values(m)),
        Case("std-axis0", lambda v: v.std(axis=0), values(m)),
        Case("logsumexp-all", lambda v: v.logsumexp(), values(m)),
        Case("logsumexp-axis1-keepdims", lambda v: v.logsumexp(axis=1, keepdims=True), values(m)),
        Case("logsumexp-wide", lambda v: v.logsumexp(axis=0), values(m * 400.0)),
        Case("softmax", lambda v: v.softmax(), values(m)),
        Case("log-softmax-axis0", lambda v: v.log_softmax(axis=0), values(m)),
    ]


def more_shape_cases() -> list[Case]:
    x = distinct((2, 1, 3), 42)
    return [
        Case("ravel", lambda v: v.ravel(), values(x)),
        Case("flatten", lambda v: v.flatten(), values(x)),
        Case("squeeze-all", lambda v: v.squeeze(), values(x)),
        Case("squeeze-axis", lambda v: v.squeeze(1), values(x)),
        Case("expand-dims", lambda v: v.expand_dims((0, -1)), values(x)),
        Case("swapaxes", lambda v: v.swapaxes(0, -1), values(x)),
    ]


def function_cases() -> list[Case]:
    """maximum, minimum, where, concatenate, stack, einsum, outer and dot."""
    a, b = data((2, 3), 50), data((3,), 51)
    c = data((4, 3), 52)
    return [
        Case("maximum-broadcast", lambda x, y: mg.maximum(x, y), values(a, b)),
        Case("maximum-constant", lambda x: mg.maximum(x, 0.3), values(a)),
        Case("maximum-scalar-mode", lambda x, y: mg.maximum(x, y), values(0.4, -0.9)),
        Case("minimum-broadcast", lambda x, y: mg.minimum(y, x), values(a, b)),
        Case("minimum-scalar-mode", lambda x, y: mg.minimum(x, y), values(0.4, -0.9)),
        Case("where-broadcast", lambda x, y: mg.where(x > 0, x, y * y), values(a, b)),
        Case("where-constant-branch", lambda x: mg.where(x < 0, 0.1 * x, x), values(a)),
        Case("where-scalar-mode", lambda x, y: mg.where(x > y, x * y, y), values(0.4, -0.9)),
        Case("concatenate-axis0", lambda x, y: mg.concatenate([x, y]), values(a, c)),
        Case("concatenate-axis1-array", lambda x: mg.concatenate([x, c.T[:2]], 1), values(a)),
        Case("concatenate-flat", lambda x, y: mg.concatenate([x, y], None), values(a, b)),
        Case("stack-axis0", lambda x, y: mg.stack([x, y, x]), values(a, a * 0.5)),
        Case("stack-axis-last", lambda x, y: mg.stack([x, y], axis=-1), values(b, b + 1.0)),
        Case("stack-scalar-mode", lambda x, y: mg.stack([x, y, x * y]), values(0.4, -0.9)),
        Case("einsum-matmul", lambda x, y: mg.einsum("ij,kj->ik", x, y), values(a, c)),
        Case(
            "einsum-batched",
            lambda x, y: mg.einsum("bij,bjk->bik", x, y),
            values(data((2, 2, 3), 53), data((2, 3, 2), 54)),
        ),
        Case("einsum-to-scalar", lambda x, y: mg.einsum("ij,j->", x, y), values(a, b)),
        Case("einsum-summed-alone", lambda x, y: mg.einsum("ij,jk->k", x, y), values(a, c.T)),
        Case("einsum-implicit-one", lambda x: mg.einsum("ij", x), values(a)),
        Case("outer", lambda x, y: mg.outer(x, y), values(b, data((4,), 55))),
        Case("dot-nd", lambda x, y: mg.dot(x, y), values(a, data((2, 3, 2), 56))),
    ]


ALL_CASES = (
    binary_cases()
    + power_cases()
    + unary_cases()
    + matmul_cases()
    + linear_cases()
    + loss_cases()
    + reduction_cases()
    + shape_cases()
    + layer_op_cases()
    + more_unary_cases()
    + more_reduction_cases()
    + more_shape_cases()
    + function_cases()
)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_rule_matches_central_differences(case: Case, strategy: str) -> None:
    check(case.fn, case.make(), strategy)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_second_derivatives_match_central_differences(case: Case, strategy: str) -> None:
    # The rule run on nodes (create_graph=True), differentiated again, against central
    # differences of first derivatives: every op is differentiable twice, under every strategy.
    def loss(*xs: mg.Value) -> mg.Value:
        return weighted(case.fn(*xs))

    assert gradgradcheck(loss, *case.make(), strategy=strategy, rtol=1e-5, atol=1e-7)


def test_case_names_are_unique() -> None:
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names))


def ops_in_graph(out: mg.Value) -> set[mg_ops.Op]:
    seen, stack, found = set(), [out], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.op is not None:
            found.add(node.op)
        stack.extend(node.parents)
    return found


def test_every_op_in_the_table_has_a_case() -> None:
    # `ops.OPS` is the table of every op: a new op joins it, and so must join the cases above.
    covered = set().union(*(ops_in_graph(case.fn(*case.make())) for case in ALL_CASES))
    missing = [op for op in mg_ops.OPS if op not in covered and op.plain not in covered]
    assert not missing, f"ops without a case: {missing}"
    assert len(set(mg_ops.OPS)) == len(mg_ops.OPS)


# -- what the rules must do beyond matching on generic points ----------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fused_mse_equals_the_composed_ops_and_keeps_float32(strategy: str) -> None:
    from minigrad.nn.functional import mse_loss

    for dtype in (np.float64, np.float32):
        p, t = data((4, 3), 117).astype(dtype), data((4, 3), 118).astype(dtype)
        fused, composed = mg.Value(p), mg.Value(p)
        loss = mse_loss(fused, t)
        loss.backward(strategy=strategy)
        reference = ((composed - t) ** 2).mean()
        reference.backward(strategy=strategy)
        assert loss.op is mg_ops.MSE and loss.data.dtype == dtype and fused.grad.dtype == dtype
        np.testing.assert_allclose(loss.data, reference.data, rtol=1e-6)
        np.testing.assert_allclose(fused.grad, composed.grad, rtol=1e-6)
    with pytest.raises(mg.ShapeError, match=r"\(4, 3\) and \(3,\)"):
        apply(mg_ops.MSE, mg.Value(data((4, 3), 1)), data((3,), 2))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_fused_cross_entropy_equals_the_composed_ops_and_keeps_float32(strategy: str) -> None:
    from minigrad.nn.functional import cross_entropy

    labels = np.array([1, 0, 2, 2])
    for dtype in (np.float64, np.float32):
        z = (data((4, 3), 119) * 30.0).astype(dtype)  # large logits: the shift must hold
        fused, composed = mg.Value(z), mg.Value(z)
        loss = cross_entropy(fused, labels)
        loss.backward(strategy=strategy)
        reference = -composed.log_softmax(axis=1)[np.arange(4), labels].mean()
        reference.backward(strategy=strategy)
        assert loss.op is mg_ops.CROSS_ENTROPY and loss.parents == (fused,)
        assert loss.data.dtype == dtype and fused.grad.dtype == dtype
        assert loss.data == reference.data  # the same operations, in the same order
        np.testing.assert_allclose(fused.grad, composed.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_max_splits_ties_evenly(strategy: str) -> None:
    # Central differences cannot see a tie entry by entry, but they can along the direction
    # that raises all tied entries together, and on the entry that is not a maximum.
    x = mg.Value(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    x.max(axis=1).sum().backward(strategy=strategy)
    grad = x.grad
    eps = 1e-6
    for row, tied in ((0, [1, 2]), (1, [0, 1, 2])):
        direction = np.zeros_like(x.data)
        direction[row, tied] = 1.0
        up = mg.Value(x.data + eps * direction).max(axis=1).sum().item()
        down = mg.Value(x.data - eps * direction).max(axis=1).sum().item()
        assert np.isclose(grad[row, tied].sum(), (up - down) / (2 * eps))
        assert np.allclose(grad[row, tied], grad[row, tied][0])  # evenly
    assert grad[0, 0] == 0.0


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_scalar_value_broadcast_against_array_gets_a_float_gradient(strategy: str) -> None:
    a = mg.Value(1.5)
    b = mg.Value(data((2, 3), 3))
    weights = np.arange(6.0).reshape(2, 3)
    ((a * b) * weights).sum().backward(strategy=strategy)
    assert type(a.grad) is float
    assert np.isclose(a.grad, numerical_grad(lambda a, b: ((a * b) * weights).sum(), (a, b), 0))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_constant_operands_get_no_gradient(strategy: str) -> None:
    x = mg.Value(data((2, 3), 1))
    c = mg.Value(data((3,), 2), requires_grad=False)
    stats = (x * c).sum().backward(strategy=strategy, trace=True)
    assert not any(node is c for node in stats.visits)
    assert np.all(c.grad == 0)
    assert np.allclose(x.grad, np.broadcast_to(c.data, (2, 3)))


# -- gradcheck itself can fail ------------------------------------------------------------------


def wrong_tanh_vjp(g: Any, node: Any) -> tuple[Any, ...]:
    """Deliberately wrong: tanh' taken as tanh instead of 1 - tanh^2."""
    return (g * node.data,)


def unexpanded_sum_vjp(g: Any, node: Any) -> tuple[Any, ...]:
    """Deliberately wrong: the gradient of sum is not broadcast back to the input's shape."""
    return (g,)


def swapped_mul_vjp(g: Any, node: Any) -> tuple[Any, ...]:
    """Deliberately wrong: each factor gets g times itself instead of the other factor."""
    a, b = node.parents
    return g * a.data, g * b.data


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    ("attribute", "rule", "fn", "inputs"),
    [
        ("TANH", wrong_tanh_vjp, lambda v: v.tanh(), (0.4,)),
        ("TANH", wrong_tanh_vjp, lambda v: v.tanh().sum(), (np.array([0.4, -1.1]),)),
        ("SUM", unexpanded_sum_vjp, lambda v: v.sum(), (np.array([0.4, -1.1, 2.0]),)),
        ("MUL", swapped_mul_vjp, lambda a, b: a * b, (0.5, 2.0)),
        ("MUL", swapped_mul_vjp, lambda a, b: (a * b).sum(), (np.ones(3), np.arange(3.0))),
    ],
    ids=["tanh-scalar", "tanh-tensor", "sum-shape", "mul-scalar", "mul-tensor"],
)
def test_gradcheck_fails_on_a_wrong_rule(
    monkeypatch: pytest.MonkeyPatch,
    strategy: str,
    attribute: str,
    rule: Callable[[Any, Any], tuple[Any, ...]],
    fn: Fn,
    inputs: tuple[Any, ...],
) -> None:
    right = getattr(mg_ops, attribute)
    assert gradcheck(fn, *values(*inputs)(), strategy=strategy)  # the right rule passes
    monkeypatch.setattr(mg_ops, attribute, mg_ops.Op(right.name, right.forward, rule))
    with pytest.raises(AssertionError, match="gradient of input"):
        gradcheck(fn, *values(*inputs)(), strategy=strategy)
    assert not gradcheck(fn, *values(*inputs)(), strategy=strategy, raise_on_failure=False)


GRADCHECK_FAILURE = re.compile(
    r"gradient of input (\d) \((\w+), shape (\(.*?\))\) differs from central differences"
    r"(?: at index (\(.*?\)))?: analytic (\S+), numeric (\S+) \(difference (\S+), allowed (\S+)\)"
)


@pytest.mark.parametrize(
    ("data", "index"),
    [
        (np.array([[0.4, -1.1, 0.3], [0.1, 0.2, 1.9]]), "(0, 1)"),
        (np.array([0.25, -3.0, 0.5]), "(1,)"),
        (np.array(0.7), None),  # 0-d: there is no index to name
        (0.7, None),  # scalar mode
    ],
)
def test_gradcheck_failure_names_the_index_as_ints_and_rounds_values(
    monkeypatch: pytest.MonkeyPatch, data: Any, index: str | None
) -> None:
    right = mg_ops.TANH
    monkeypatch.setattr(mg_ops, "TANH", mg_ops.Op(right.name, right.forward, wrong_tanh_vjp))
    x = mg.Value(data, label="w")
    with pytest.raises(AssertionError) as info:
        gradcheck(lambda v: v.tanh().sum(), x, rtol=1e-5, atol=1e-7)
    message = str(info.value)
    assert "np." not in message and "array(" not in message, message
    found = GRADCHECK_FAILURE.fullmatch(message)
    assert found is not None, message
    number, label, shape, where, analytic, numeric, difference, allowed = found.groups()
    assert (number, label, shape, where) == ("0", "w", str(np.shape(data)), index)
    t = np.tanh(np.asarray(data, dtype=np.float64))
    wrong, true = t, 1.0 - t * t  # the wrong rule gives tanh(x); the slope is 1 - tanh(x)^2
    worst = tuple(int(k) for k in np.unravel_index(np.argmax(np.abs(wrong - true)), t.shape))
    assert where is None or where == str(worst)
    assert float(analytic) == pytest.approx(wrong[worst], rel=1e-7)
    assert float(numeric) == pytest.approx(true[worst], rel=1e-7)
    assert float(difference) == pytest.approx(abs(wrong[worst] - true[worst]), rel=1e-2)
    assert float(allowed) == pytest.approx(1e-7 + 1e-5 * abs(true[worst]), rel=1e-2)
    for shown in (analytic, numeric):  # at most 8 significant digits, not float64's 17
        assert len(shown.lstrip("-").replace(".", "").lstrip("0")) <= 8, shown


def test_gradcheck_restores_grads_and_data() -> None:
    x = mg.Value(np.array([0.3, -0.2]))
    x.grad = np.array([5.0, 6.0])
    before = np.array(x.data)
    assert gradcheck(lambda v: (v * v).sum(), x)
    assert np.array_equal(x.grad, [5.0, 6.0])
    assert np.array_equal(x.data, before)


def test_gradcheck_leaves_no_gradient_on_values_f_closes_over() -> None:
    x = mg.Value(np.array([0.3, -0.2]))
    w = mg.Value(np.array([1.5, 2.0]), label="w")  # in f's graph, not an input
    assert gradcheck(lambda v: (v * w).tanh().sum(), x)
    assert not w.has_grad and not x.has_grad


def test_gradcheck_restores_the_data_when_f_raises() -> None:
    x = mg.Value(np.array([0.3, -0.2]))
    before = np.array(x.data)
    calls = []

    def flaky(v: mg.Value) -> mg.Value:
        calls.append(1)
        if len(calls) > 1:  # the first (analytic) call works, the perturbed ones fail
            raise RuntimeError("f failed")
        return (v * v).sum()

    with pytest.raises(RuntimeError, match="f failed"):
        gradcheck(flaky, x)
    assert np.array_equal(x.data, before) and x.data.dtype == before.dtype


def test_linear_is_one_node_with_the_numbers_of_its_three_ops() -> None:
    from minigrad.nn.functional import linear

    rng = np.random.default_rng(0)
    x, w, b = (mg.Value(rng.standard_normal(s)) for s in ((6, 3), (4, 3), (4,)))
    fused = linear(x, w, b)
    # one dtype: the rule's gradients fit as they are, nothing to unbroadcast
    assert fused.op is mg_ops.LINEAR.plain and fused.parents == (x, w, b)
    composed = x @ w.T + b
    np.testing.assert_array_equal(fused.data, composed.data)
    fused.tanh().sum().backward()
    grads = [v.grad.copy() for v in (x, w, b)]
    for v in (x, w, b):
        v.zero_grad()
    composed.tanh().sum().backward()
    for v, g in zip((x, w, b), grads, strict=True):
        np.testing.assert_allclose(g, v.grad, rtol=1e-14, atol=1e-15)
    assert w.grad.flags.c_contiguous  # W's own layout: nothing to transpose at commit


def test_linear_follows_numpy_promotion_and_names_bad_shapes() -> None:
    from minigrad.nn.functional import linear

    x = mg.Value(np.ones((2, 3), dtype=np.float32))
    w = mg.Value(np.ones((4, 3), dtype=np.float32))
    b = mg.Value(np.ones(4))  # float64: promotes the output, as x @ W.T + b would
    out = linear(x, w, b)
    assert out.data.dtype == np.float64
    assert out.op is mg_ops.LINEAR  # gradients cast back to each input's dtype
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32 and b.grad.dtype == np.float64
    with pytest.raises(mg.ShapeError, match=r"input of shape \(2, 5\).*weight of shape \(4, 3\)"):
        linear(mg.Value(np.ones((2, 5))), w)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("data", [0.0, np.array([0.0, -1.0, 2.0])], ids=["scalar", "tensor"])
def test_relu_has_slope_zero_at_zero_like_pytorch(strategy: str, data: Any) -> None:
    x = mg.Value(data)
    out = x.relu() if isinstance(data, float) else x.relu().sum()
    out.backward(strategy=strategy)
    expected = 0.0 if isinstance(data, float) else np.array([0.0, 0.0, 1.0])
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize("strategy", ["topological", "tape", "memoized", "cycle_checked"])
def test_linear_walks_visit_every_node_after_all_its_consumers(strategy: str) -> None:
    # The drawings and the step-through pages number nodes by `stats.visits`: for the linear
    # walks, a node's gradient is finished when it is visited, so its consumers come first.
    a = mg.Value(0.5, label="a")
    b = a * a
    c = b.tanh() + b
    d = c * a
    stats = d.backward(strategy=strategy, trace=True)
    position = {id(node): i for i, node in enumerate(stats.visits)}
    assert len(position) == len(stats.visits) == 5 and stats.visits[0] is d
    for node in stats.visits:
        for parent in node.parents:
            if parent.requires_grad:
                assert position[id(node)] < position[id(parent)]
