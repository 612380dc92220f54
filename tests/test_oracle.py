"""An independent oracle: HIPS autograd differentiates the same programs and must agree.

Each program is written once against a small namespace of functions (`MG` for minigrad Values,
`AG` for autograd.numpy), so both frameworks build exactly the same graph; operators, `.T` and
indexing are shared. minigrad's gradients, under every built-in strategy, must match autograd's
to 1e-10 relative to the largest gradient entry (never tighter than 1e-13 absolute).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("autograd")

import autograd.numpy as anp
from autograd import grad
from strategies import (
    BUILTIN_STRATEGIES,
    MLPSpec,
    arrays_of,
    broadcastable_shape_pairs,
    close,
    mlp_specs,
    shapes,
    tensor_mlp_loss,
)

import minigrad as mg

RTOL = 1e-10
STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)
Program = Callable[..., Any]


class MG:
    """The program namespace for minigrad Values."""

    @staticmethod
    def tanh(x: mg.Value) -> mg.Value:
        return x.tanh()

    @staticmethod
    def sigmoid(x: mg.Value) -> mg.Value:
        return x.sigmoid()

    @staticmethod
    def relu(x: mg.Value) -> mg.Value:
        return x.relu()

    @staticmethod
    def exp(x: mg.Value) -> mg.Value:
        return x.exp()

    @staticmethod
    def log(x: mg.Value) -> mg.Value:
        return x.log()

    @staticmethod
    def sum(x: mg.Value, axis: Any = None, keepdims: bool = False) -> mg.Value:
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(x: mg.Value, axis: Any = None, keepdims: bool = False) -> mg.Value:
        return x.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x: mg.Value, axis: Any = None, keepdims: bool = False) -> mg.Value:
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x: mg.Value, shape: tuple[int, ...]) -> mg.Value:
        return x.reshape(shape)

    @staticmethod
    def transpose(x: mg.Value, axes: tuple[int, ...]) -> mg.Value:
        return x.transpose(*axes)


class AG:
    """The same namespace for autograd (relu's derivative at 0 is 0, as in minigrad)."""

    tanh = staticmethod(anp.tanh)
    exp = staticmethod(anp.exp)
    log = staticmethod(anp.log)
    sum = staticmethod(anp.sum)
    mean = staticmethod(anp.mean)
    max = staticmethod(anp.max)
    reshape = staticmethod(anp.reshape)
    transpose = staticmethod(anp.transpose)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return 1.0 / (1.0 + anp.exp(-x))

    @staticmethod
    def relu(x: Any) -> Any:
        return anp.where(x > 0, x, 0.0)


def assert_matches_autograd(program: Program, *inputs: Any) -> None:
    """program(AG, ...) under autograd and program(MG, ...) under every strategy agree."""
    expected_out = program(AG, *inputs)
    expected = [grad(lambda *xs: program(AG, *xs), i)(*inputs) for i in range(len(inputs))]
    # 1 - tanh(x)^2 and s(1 - s) lose relative precision where tanh/sigmoid saturate (autograd
    # uses 1/cosh^2 and exp forms): an absolute floor of 1e-13 (RTOL * 1e-3) absorbs that.
    scale = max([1e-3] + [float(np.max(np.abs(e), initial=0.0)) for e in expected])
    for name in STRATEGIES:
        values = [mg.Value(x, label=f"input{i}") for i, x in enumerate(inputs)]
        out = program(MG, *values)
        assert close(out.data, expected_out, RTOL, 1e-3), (
            f"{name}: forward {out.data} != {expected_out}"
        )
        out.backward(strategy=name)
        for i, (value, want) in enumerate(zip(values, expected, strict=True)):
            assert np.shape(value.grad) == np.shape(inputs[i])
            assert close(value.grad, want, RTOL, scale), (
                f"{name}: d/d input{i}\nminigrad {value.grad!r}\nautograd {want!r}"
            )


# -- dense nets ----------------------------------------------------------------------------------


@given(mlp_specs(mode="tensor"))
def test_mlps_match_autograd(spec: MLPSpec) -> None:
    depth = spec.depth

    def loss(ops: Any, x: Any, *params: Any) -> Any:
        weights, biases = params[:depth], params[depth:]
        act = getattr(ops, spec.activation)
        return tensor_mlp_loss(x, weights, biases, spec.target, act, ops.mean)

    assert_matches_autograd(loss, spec.x, *spec.weights, *spec.biases)


# -- broadcasting --------------------------------------------------------------------------------


@given(st.data())
def test_broadcast_pairs_match_autograd(data: st.DataObject) -> None:
    shape_a, shape_b = data.draw(broadcastable_shape_pairs)
    a, b = data.draw(arrays_of(shape_a)), data.draw(arrays_of(shape_b))

    def program(ops: Any, a: Any, b: Any) -> Any:
        s = a * b
        t = ops.tanh((s + a / (1.5 + ops.tanh(b))) - b) * s + ops.sigmoid(a - s)
        return ops.sum(t * (b - 2.0) + ops.exp(a * 0.5))

    assert_matches_autograd(program, a, b)


# -- reductions ----------------------------------------------------------------------------------


@st.composite
def axes_for(draw: st.DrawFn, ndim: int) -> Any:
    """None, one axis (maybe negative) or a tuple of distinct axes."""
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(picked)


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@given(data=st.data())
def test_reductions_match_autograd(reduction: str, data: st.DataObject) -> None:
    shape = data.draw(shapes.filter(lambda s: len(s) >= 1))
    x = data.draw(arrays_of(shape))
    axis = data.draw(axes_for(len(shape)))
    keepdims = data.draw(st.booleans())

    def program(ops: Any, x: Any) -> Any:
        r = getattr(ops, reduction)(ops.tanh(x) + x * 0.5, axis=axis, keepdims=keepdims)
        return ops.sum(r * r) + ops.max(x)  # ties (equal entries) split evenly in both

    assert_matches_autograd(program, x)


# -- shapes, indexing, matrix products, exp/log/pow/div -----------------------------------------

W = np.linspace(-1.0, 1.0, 4)
MASK = np.array([[True, False, True, True], [False, True, False, True], [True, True, False, False]])

CASES: dict[str, tuple[Program, tuple[tuple[int, ...], ...]]] = {
    "reshape": (lambda ops, x: ops.sum(ops.tanh(ops.reshape(x, (6, 4)) @ W)), ((2, 3, 4),)),
    "reshape-flat": (lambda ops, x: ops.sum(ops.reshape(x, (24,)) ** 2 * 0.5), ((2, 3, 4),)),
    "transpose-axes": (
        lambda ops, x, y: ops.sum(ops.tanh(ops.transpose(x, (2, 0, 1)) * y)),
        ((2, 3, 4), (4, 2, 1)),
    ),
    "dot-T": (lambda ops, x: ops.sum(ops.sigmoid(x.T @ x)), ((3, 4),)),
    "slice": (lambda ops, x: ops.sum(ops.tanh(x[1:, ::2]) * x[:2, 1::2]), ((3, 4),)),
    "repeated-index": (lambda ops, x: ops.sum(x[np.array([0, 0, 2, 0])] ** 2), ((3, 4),)),
    "int-index": (lambda ops, x: ops.sum(ops.exp(x[..., 1]) * x[0]), ((3, 3),)),
    "mask-index": (lambda ops, x: ops.sum(ops.tanh(x[MASK]) ** 3), ((3, 4),)),
    "matmul-1d-2d": (lambda ops, v, m: ops.sum(ops.tanh(v @ m)), ((3,), (3, 4))),
    "matmul-2d-1d": (lambda ops, m, v: ops.sum(ops.tanh(m @ v)), ((2, 3), (3,))),
    "matmul-1d-1d": (lambda ops, u, v: ops.tanh(u @ v) * 2.0, ((3,), (3,))),
    "matmul-batched": (lambda ops, a, b: ops.mean(ops.tanh(a @ b)), ((5, 2, 3), (3, 4))),
    "matmul-batch-broadcast": (
        lambda ops, a, b: ops.sum(ops.sigmoid(a @ b)),
        ((2, 1, 2, 3), (4, 3, 2)),
    ),
    "relu-at-zero": (lambda ops, x: ops.sum(ops.relu(x - x[0]) * x + ops.relu(1.2 - x)), ((5,),)),
    "exp-log": (lambda ops, x: ops.sum(ops.log(x * x + 1.0) * ops.exp(-x * x)), ((2, 3),)),
    "log-positive": (lambda ops, x: ops.sum(ops.log(ops.exp(x) + x * x)), ((4,),)),
    "pow-constant": (lambda ops, x: ops.sum(x**3 - 2.0 * x**2 + x**0.5), ((2, 3),)),
    "pow-both": (lambda ops, x, y: ops.sum(x**y), ((2, 3), (3,))),
    "rpow": (lambda ops, x: ops.sum(2.0**x), ((2, 3),)),
    "div": (lambda ops, x, y: ops.sum(x / y + 1.0 / (x * y)), ((2, 3), (2, 1))),
    "neg-sub": (lambda ops, x, y: ops.sum(-(x - y) * (y - 2.0 * x)), ((3,), (2, 3))),
    "scalar-chain": (lambda ops, x, y: ops.tanh(x * y) / (y**2) + ops.log(x) ** 2, ((), ())),
}
"""name -> (program, input shapes); inputs are drawn in [0.5, 2] so log, pow and / are safe."""

positive_floats = st.floats(0.5, 2.0, allow_nan=False, allow_subnormal=False)


@pytest.mark.parametrize("case", sorted(CASES))
@given(data=st.data())
def test_tensor_programs_match_autograd(case: str, data: st.DataObject) -> None:
    program, input_shapes = CASES[case]
    inputs = [data.draw(arrays_of(s, positive_floats)) for s in input_shapes]
    assert_matches_autograd(program, *inputs)


@pytest.mark.parametrize("case", ["scalar-chain"])
@given(x=positive_floats, y=positive_floats)
def test_scalar_mode_matches_autograd(case: str, x: float, y: float) -> None:
    """The same program on Python floats: minigrad's scalar mode against autograd."""
    assert_matches_autograd(CASES[case][0], x, y)
