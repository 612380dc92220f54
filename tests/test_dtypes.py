"""Dtypes: float32 stays float32, integers become float64, bool/complex/object/str are rejected.

- A float32 graph stays float32 end to end: every node's data and every gradient, intermediate
  nodes included, for every op and every strategy, and through a whole training step of
  `nn.MLP(dtype=np.float32)` with SGD (with momentum) and Adam (optimizer state included).
- Python numbers never upcast float32 (numpy's rule for Python scalars). numpy float64 and integer
  scalars count as Python numbers too (np.float64 is a subclass of float), and so does a
  scalar-mode Value, whose data is a Python float.
- Integer data (Python or numpy, arrays too) is promoted to float64; bool, complex, object and
  string data are rejected with a TypeError that names the type.
- A mixed float32/float64 expression of arrays follows numpy's promotion (float64), and each leaf's
  gradient has that leaf's own dtype.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from strategies import (
    BUILTIN_STRATEGIES,
    OPERATORS,
    DagSpec,
    build_dag,
    dags,
    reachable_nodes,
)

import minigrad as mg
from minigrad.nn import functional as F  # noqa: N812 - the usual name

F32 = np.float32
F64 = np.float64
STRATEGIES = tuple(name for name in mg.available_strategies() if name in BUILTIN_STRATEGIES)

rng = np.random.default_rng(7)
A = rng.uniform(0.5, 1.5, (2, 3))
B = rng.uniform(0.5, 1.5, (3,))
M = rng.uniform(-1.0, 1.0, (3, 4))
BOOL_MASK = np.array([[True, False, True], [False, True, True]])


def nodes_of(out: mg.Value) -> list[mg.Value]:
    """Every node of the graph (constants included), output first."""
    seen = {id(out)}
    order = [out]
    for node in order:
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
    return order


def assert_all_dtype(out: mg.Value, dtype: Any, what: str) -> None:
    """Every node's data, and every gradient that exists, has `dtype` (number constants,
    Python floats that combine like Python scalars, excepted)."""
    for node in nodes_of(out):
        if type(node.data) is float and not node.requires_grad:
            continue
        assert np.asarray(node.data).dtype == dtype, f"{what}: {node!r} has data {node.dtype}"
        if node.has_grad:
            grad = node.grad
            assert isinstance(grad, np.ndarray | np.generic), f"{what}: grad of {node!r}"
            assert grad.dtype == dtype, f"{what}: {node!r} has a {grad.dtype} gradient"


# Every op, on float32 Values `a` (2, 3), `b` (3,) and `m` (3, 4); values positive where needed.
OPS: dict[str, Callable[[mg.Value, mg.Value, mg.Value], mg.Value]] = {
    "exp": lambda a, b, m: a.exp(),
    "log": lambda a, b, m: a.log(),
    "tanh": lambda a, b, m: a.tanh(),
    "sigmoid": lambda a, b, m: a.sigmoid(),
    "relu": lambda a, b, m: (a - 1.0).relu(),
    "softplus": lambda a, b, m: a.softplus(),
    "neg": lambda a, b, m: -a,
    "add": lambda a, b, m: a + b,
    "sub": lambda a, b, m: a - b,
    "mul": lambda a, b, m: a * b,
    "div": lambda a, b, m: a / b,
    "pow-value": lambda a, b, m: a**b,
    "pow-int": lambda a, b, m: a**3,
    "pow-float": lambda a, b, m: a**0.5,
    "rpow": lambda a, b, m: 2.0**a,
    "radd-rsub-rmul-rdiv": lambda a, b, m: ((1 - a) * 2 + 3) / (1.5 + a) - 1.0 / a,
    "matmul": lambda a, b, m: a @ m,
    "matmul-vector": lambda a, b, m: a @ b,
    "matmul-vector-left": lambda a, b, m: b @ m,
    "matmul-T": lambda a, b, m: m.T @ a.T,
    "sum": lambda a, b, m: a.sum(axis=0),
    "sum-keepdims": lambda a, b, m: a.sum(axis=-1, keepdims=True) * a,
    "mean": lambda a, b, m: a.mean(axis=(0, 1)),
    "max": lambda a, b, m: a.max(axis=1),
    "max-all": lambda a, b, m: a.max(),
    "reshape": lambda a, b, m: a.reshape(3, 2),
    "transpose": lambda a, b, m: a.transpose(1, 0),
    "index-int": lambda a, b, m: a[1],
    "index-slice": lambda a, b, m: a[:, ::-2],
    "index-mask": lambda a, b, m: a[BOOL_MASK],
    "index-array": lambda a, b, m: a[np.array([0, 0, 1])],
    "log_softmax": lambda a, b, m: F.log_softmax(a),
    "softmax": lambda a, b, m: F.softmax(a, axis=0),
    "mse_loss": lambda a, b, m: F.mse_loss(a, np.zeros((2, 3))),
    "bce": lambda a, b, m: F.binary_cross_entropy_with_logits(a, BOOL_MASK.astype(np.int64)),
    "cross_entropy": lambda a, b, m: F.cross_entropy(a, [2, 0]),
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("op", sorted(OPS))
def test_float32_ops_stay_float32(op: str, strategy: str) -> None:
    a, b, m = mg.Value(A.astype(F32)), mg.Value(B.astype(F32)), mg.Value(M.astype(F32))
    # the op's inputs are op nodes (x * 1.0), so the gradients the rule returns are stored
    # as they are, not cast to a leaf's dtype by the driver
    y = OPS[op](a * 1.0, b * 1.0, m * 1.0)
    assert y.dtype == F32, f"{op}: output is {y.dtype}"
    loss = y.sum() * 0.5
    loss.backward(strategy=strategy)
    assert_all_dtype(loss, F32, op)
    for leaf in (a, b, m):
        assert leaf.grad.dtype == F32 and leaf.grad.shape == leaf.data.shape


@pytest.mark.parametrize("op", sorted(OPS))
def test_float32_results_are_float64_results_rounded(op: str) -> None:
    """The float32 graph computes the same function: within float32 rounding of float64."""
    a32, b32, m32 = (mg.Value(x.astype(F32)) for x in (A, B, M))
    a64, b64, m64 = (mg.Value(x.astype(F32).astype(F64)) for x in (A, B, M))
    OPS[op](a32, b32, m32).sum().backward()
    OPS[op](a64, b64, m64).sum().backward()
    for x32, x64 in ((a32, a64), (b32, b64), (m32, m64)):
        np.testing.assert_allclose(x32.grad, x64.grad, rtol=2e-5, atol=2e-6, err_msg=op)


@given(spec=dags(mode="tensor"))
def test_random_float32_dags_stay_float32(spec: DagSpec) -> None:
    spec32 = dataclasses.replace(spec, leaves=tuple(np.asarray(x, F32) for x in spec.leaves))
    for strategy in STRATEGIES:
        built = build_dag(spec32)
        assert built.output.dtype == F32
        built.output.backward(strategy=strategy)
        assert_all_dtype(built.output, F32, strategy)
        for leaf in built.leaves:
            assert leaf.grad.dtype == F32
        assert all(n.dtype == F32 for n in reachable_nodes(built.output))


# -- training ------------------------------------------------------------------------------------


def make_optimizer(name: str, params: list[mg.Value]) -> mg.optim.Optimizer:
    if name == "sgd":
        return mg.optim.SGD(params, lr=0.1)
    if name == "sgd-momentum":
        return mg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
    return mg.optim.Adam(params, lr=0.01, weight_decay=1e-4)


LOSSES: dict[str, tuple[Callable[[Any, Any], mg.Value], Any, int]] = {
    "mse": (F.mse_loss, np.linspace(-1.0, 1.0, 8).reshape(8, 1), 1),
    "bce": (F.binary_cross_entropy_with_logits, (np.arange(8) % 2).reshape(8, 1), 1),
    "cross_entropy": (F.cross_entropy, np.arange(8) % 3, 3),
}


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("optimizer", ["sgd", "sgd-momentum", "adam"])
def test_float32_mlp_training_stays_float32(optimizer: str, loss_name: str) -> None:
    loss_fn, target, outputs = LOSSES[loss_name]
    model = mg.nn.MLP([4, 8, outputs], activation="tanh", seed=0, dtype=F32)
    opt = make_optimizer(optimizer, model.parameters())
    X = np.random.default_rng(0).standard_normal((8, 4)).astype(F32)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(model(X), target)
        assert loss.dtype == F32, f"{loss_name}: loss is {loss.dtype}"
        loss.backward()
        assert_all_dtype(loss, F32, f"{optimizer}/{loss_name}")
        opt.step()
        losses.append(loss.item())
        for p in model.parameters():
            assert p.data.dtype == F32 and p.grad.dtype == F32
    assert losses[-1] < losses[0], f"{optimizer}/{loss_name} did not train: {losses}"
    for state in opt.state:  # momentum buffers, Adam's moments: float32 too
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == F32, f"{optimizer} state {key!r} is {value.dtype}"


def test_float32_fit_stays_float32() -> None:
    from minigrad.train import fit

    model = mg.nn.MLP([2, 6, 2], seed=1, dtype=F32)
    X = np.random.default_rng(1).standard_normal((16, 2)).astype(F32)
    y = (X[:, 0] > 0).astype(np.int64)
    fit(model, X, y, optimizer=mg.optim.Adam(model.parameters(), lr=0.05), epochs=2)
    assert all(p.data.dtype == F32 and p.grad.dtype == F32 for p in model.parameters())


# -- Python scalars --------------------------------------------------------------------------------

SCALARS: list[Any] = [2, 2.5, np.float64(2.5), np.int64(2), mg.Value(2.5, requires_grad=False)]


@pytest.mark.parametrize("scalar", SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("symbol", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("reflected", [False, True], ids=["value-first", "scalar-first"])
def test_python_scalars_do_not_upcast_float32(symbol: str, reflected: bool, scalar: Any) -> None:
    fn: Callable[[Any, Any], Any] = {
        "+": operator.add,
        "-": operator.sub,
        "*": operator.mul,
        "/": operator.truediv,
        "**": operator.pow,
    }[symbol]
    a = mg.Value(A.astype(F32))
    y = fn(scalar, a) if reflected else fn(a, scalar)
    assert y.dtype == F32, f"{symbol} with {type(scalar).__name__} gave {y.dtype}"
    y.sum().backward()
    assert a.grad.dtype == F32
    assert_all_dtype(y, F32, symbol)


def test_scalar_mode_value_takes_a_float_gradient_from_a_float32_graph() -> None:
    s = mg.Value(2.5)
    a = mg.Value(A.astype(F32))
    (a * s + s).sum().backward()
    assert a.grad.dtype == F32
    assert type(s.grad) is float
    assert s.grad == pytest.approx(float(A.astype(F32).sum()) + A.size, rel=1e-6)


# -- integers and rejected types -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        3,
        np.int64(3),
        np.int32(-2),
        np.uint8(7),
        [1, 2, 3],
        np.arange(4),
        np.arange(4, dtype=np.int8),
    ],
    ids=repr,
)
def test_integers_are_promoted_to_float64(data: Any) -> None:
    x = mg.Value(data)
    if np.ndim(data) == 0 and not isinstance(data, np.ndarray):
        assert type(x.data) is float
    else:
        assert isinstance(x.data, np.ndarray) and x.data.dtype == F64
    np.testing.assert_array_equal(x.data, np.asarray(data, dtype=F64))
    out = x * x
    (out.sum() if isinstance(x.data, np.ndarray) else out).backward()
    assert np.asarray(x.grad).dtype == F64
    np.testing.assert_array_equal(x.grad, 2 * np.asarray(data, dtype=F64))


def test_integer_operands_are_promoted_too() -> None:
    a = mg.Value(A)
    y = a + np.arange(3) - np.int64(1) * a
    assert y.dtype == F64
    a32 = mg.Value(A.astype(F32))
    assert (a32 + np.arange(3)).dtype == F64  # an integer array is float64 data, as documented
    assert (a32 + 3).dtype == F32  # a Python integer is a weak scalar


BAD_DATA: list[tuple[Any, str]] = [
    (True, "bool"),
    (np.bool_(False), "bool"),
    (np.array([True, False]), "bool"),
    (1j, "complex"),
    (np.ones(2, dtype=np.complex64), "complex64"),
    (np.array([1.0, None], dtype=object), "object"),
    (None, "object"),
    (object(), "object"),
    ("1.5", "<U3"),
    (np.array(["a", "b"]), "<U1"),
    ([1.0, "a"], "<U32"),
]


@pytest.mark.parametrize(("data", "named"), BAD_DATA, ids=lambda x: repr(x)[:20])
def test_bool_complex_object_and_str_are_rejected(data: Any, named: str) -> None:
    with pytest.raises(TypeError, match=named):
        mg.Value(data)
    a = mg.Value(A)
    for fn in (operator.add, operator.mul, operator.truediv, operator.pow):
        with pytest.raises(TypeError, match=named):
            fn(a, data)
        with pytest.raises(TypeError, match=named):
            fn(data, a)
    assert not a.has_grad


# -- mixed float32 / float64 ---------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("dtypes", [(F32, F64), (F64, F32), (F32, F32), (F64, F64)])
def test_mixed_dtypes_follow_numpy(dtypes: tuple[Any, Any], symbol: str, strategy: str) -> None:
    fn = OPERATORS[symbol]
    left = A
    right = B if symbol != "@" else M
    x, y = mg.Value(left.astype(dtypes[0])), mg.Value(right.astype(dtypes[1]))
    out = fn(x, y)
    expected = fn(left.astype(dtypes[0]), right.astype(dtypes[1])).dtype
    assert out.dtype == expected == np.result_type(*dtypes)
    (out.tanh().sum() * 2.0).backward(strategy=strategy)
    assert x.grad.dtype == dtypes[0] and x.grad.shape == x.data.shape
    assert y.grad.dtype == dtypes[1] and y.grad.shape == y.data.shape
    for node in nodes_of(out):  # the op nodes' gradients have their own (promoted) dtype
        if node.has_grad:
            assert node.grad.dtype == node.dtype


def test_mixed_array_constant_follows_numpy() -> None:
    a32 = mg.Value(A.astype(F32))
    assert (a32 * B).dtype == F64  # a float64 array constant promotes, as in numpy
    assert (B * a32).dtype == F64
    assert (a32 * B.astype(F32)).dtype == F32
    out = (a32 * B).sum()
    out.backward()
    assert a32.grad.dtype == F32


def test_mixed_gradient_values_are_the_float64_gradients_rounded() -> None:
    x32 = mg.Value(A.astype(F32))
    y64 = mg.Value(B)
    ((x32 * y64).tanh() / y64).sum().backward()
    x64 = mg.Value(A.astype(F32).astype(F64))
    y64b = mg.Value(B)
    ((x64 * y64b).tanh() / y64b).sum().backward()
    np.testing.assert_array_equal(x32.grad, x64.grad.astype(F32))
    np.testing.assert_array_equal(y64.grad, y64b.grad)
