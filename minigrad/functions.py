"""Functions of Values, numpy-style: `mg.exp(x)`, `mg.maximum(a, b)`, `mg.concatenate([...])`.

Each takes Values or array-likes (a number, an array, a list); an operand that is not a Value
becomes a constant, which needs no gradient. The elementwise functions, reductions and shape
functions are the `Value` methods of the same name; the others combine several operands.
Comparisons are tests, not differentiated: `mg.equal(a, b)` is the elementwise `==` (on Values,
`==` is identity, because the graph keys nodes by identity).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.ops.contract import Subscripts
from minigrad.value import Value, apply

Axis = int | tuple[int, ...] | None

__all__ = [
    "abs",
    "clip",
    "concatenate",
    "cos",
    "cumsum",
    "dot",
    "einsum",
    "equal",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "flatten",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "outer",
    "prod",
    "ravel",
    "relu",
    "reshape",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "softplus",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "swapaxes",
    "tanh",
    "transpose",
    "var",
    "where",
]


def as_value(x: Any) -> Value:
    """`x` itself when it is a Value, else a constant Value of its data (no gradient)."""
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


# -- elementwise ------------------------------------------------------------------------------


def exp(x: Any) -> Value:
    """e^x, elementwise."""
    return apply(ops.EXP, as_value(x))


def log(x: Any) -> Value:
    """Natural logarithm, elementwise."""
    return apply(ops.LOG, as_value(x))


def tanh(x: Any) -> Value:
    """Hyperbolic tangent, elementwise."""
    return apply(ops.TANH, as_value(x))


def sigmoid(x: Any) -> Value:
    """1 / (1 + e^-x), elementwise."""
    return apply(ops.SIGMOID, as_value(x))


def softplus(x: Any) -> Value:
    """log(1 + e^x), elementwise."""
    return apply(ops.SOFTPLUS, as_value(x))


def relu(x: Any) -> Value:
    """max(x, 0), elementwise (slope 0 at 0)."""
    return apply(ops.RELU, as_value(x))


def abs(x: Any) -> Value:
    """|x|, elementwise (gradient 0 at 0)."""
    return apply(ops.ABS, as_value(x))


def sqrt(x: Any) -> Value:
    """Square root, elementwise."""
    return apply(ops.SQRT, as_value(x))


def sin(x: Any) -> Value:
    """Sine, elementwise."""
    return apply(ops.SIN, as_value(x))


def cos(x: Any) -> Value:
    """Cosine, elementwise."""
    return apply(ops.COS, as_value(x))


def exp2(x: Any) -> Value:
    """2^x, elementwise."""
    return apply(ops.EXP2, as_value(x))


def log1p(x: Any) -> Value:
    """log(1 + x), elementwise."""
    return apply(ops.LOG1P, as_value(x))


def expm1(x: Any) -> Value:
    """e^x - 1, elementwise."""
    return apply(ops.EXPM1, as_value(x))


def sign(x: Any) -> Value:
    """-1, 0 or 1 by the sign of x (gradient 0)."""
    return apply(ops.SIGN, as_value(x))


def clip(x: Any, lo: Any = None, hi: Any = None) -> Value:
    """x limited to [lo, hi]; the gradient passes where lo <= x <= hi (bounds included)."""
    return as_value(x).clip(lo, hi)


# -- arithmetic, as numpy's ufuncs ------------------------------------------------------------


def add(a: Any, b: Any) -> Value:
    """a + b, broadcasting."""
    return apply(ops.ADD, a, b)


def subtract(a: Any, b: Any) -> Value:
    """a - b, broadcasting."""
    return apply(ops.SUB, a, b)


def multiply(a: Any, b: Any) -> Value:
    """a * b, broadcasting."""
    return apply(ops.MUL, a, b)


def divide(a: Any, b: Any) -> Value:
    """a / b, broadcasting."""
    return apply(ops.DIV, a, b)


def power(a: Any, b: Any) -> Value:
    """a ** b, broadcasting (a number exponent is a constant, as in `x ** 2`)."""
    out: Value = as_value(a) ** b
    return out


def negative(x: Any) -> Value:
    """-x."""
    return apply(ops.NEG, as_value(x))


def square(x: Any) -> Value:
    """x * x."""
    value = as_value(x)
    return value * value


def reciprocal(x: Any) -> Value:
    """1 / x."""
    return apply(ops.DIV, 1.0, as_value(x))


# -- reductions and scans ----------------------------------------------------------------------


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Sum over `axis` (all axes when None)."""
    return as_value(x).sum(axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Mean over `axis`."""
    return as_value(x).mean(axis=axis, keepdims=keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Maximum over `axis` (ties share the gradient evenly). For two operands: `maximum`."""
    return as_value(x).max(axis=axis, keepdims=keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Minimum over `axis` (ties share the gradient evenly). For two operands: `minimum`."""
    return as_value(x).min(axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """Product over `axis`."""
    return as_value(x).prod(axis=axis, keepdims=keepdims)


def var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value:
    """Variance over `axis`, dividing by n - ddof."""
    return as_value(x).var(axis=axis, ddof=ddof, keepdims=keepdims)


def std(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Value:
    """Standard deviation over `axis`, sqrt(var)."""
    return as_value(x).std(axis=axis, ddof=ddof, keepdims=keepdims)


def cumsum(x: Any, axis: int | None = None) -> Value:
    """Running sum along `axis` (of the flattened data when None)."""
    return as_value(x).cumsum(axis)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Value:
    """log(sum(e^x)) over `axis`, without overflow."""
    return as_value(x).logsumexp(axis=axis, keepdims=keepdims)


def softmax(x: Any, axis: int = -1) -> Value:
    """e^x / sum(e^x) along `axis`."""
    return as_value(x).softmax(axis)


def log_softmax(x: Any, axis: int = -1) -> Value:
    """x - logsumexp(x) along `axis`."""
    return as_value(x).log_softmax(axis)


# -- shape ----------------------------------------------------------------------------------


def reshape(x: Any, shape: Any) -> Value:
    """The same elements in a new shape."""
    return as_value(x).reshape(shape)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Value:
    """Permute axes (reverse them when None)."""
    value = as_value(x)
    return value.transpose() if axes is None else value.transpose(*axes)


def ravel(x: Any) -> Value:
    """The elements as a 1-d Value."""
    return as_value(x).ravel()


def flatten(x: Any) -> Value:
    """The elements as a 1-d Value."""
    return as_value(x).flatten()


def squeeze(x: Any, axis: Axis = None) -> Value:
    """Drop axes of size 1."""
    return as_value(x).squeeze(axis)


def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Value:
    """Insert axes of size 1."""
    return as_value(x).expand_dims(axis)


def swapaxes(x: Any, axis1: int, axis2: int) -> Value:
    """Exchange two axes."""
    return as_value(x).swapaxes(axis1, axis2)


# -- several operands ---------------------------------------------------------------------------


def maximum(a: Any, b: Any) -> Value:
    """Elementwise max(a, b), broadcasting; at a tie each side gets half the gradient."""
    return apply(ops.MAXIMUM, a, b)


def minimum(a: Any, b: Any) -> Value:
    """Elementwise min(a, b), broadcasting; at a tie each side gets half the gradient."""
    return apply(ops.MINIMUM, a, b)


def where(condition: Any, a: Any, b: Any) -> Value:
    """a where `condition` holds, else b, broadcasting; the condition is not differentiated
    (`mg.where(x > 0, x, 0.1 * x)`)."""
    if isinstance(condition, Value):
        condition = condition.data
    if isinstance(condition, bool | np.bool_):
        condition = bool(condition)
    else:
        condition = np.asarray(condition).astype(bool)
    return apply(ops.WHERE, a, b, saved=condition)


def concatenate(values: Sequence[Any], axis: int | None = 0) -> Value:
    """Join Values (or arrays) along an existing axis (the flattened inputs when None)."""
    if not len(values):
        raise ValueError("concatenate needs at least one Value")
    return apply(ops.CONCATENATE, *values, saved=axis)


def stack(values: Sequence[Any], axis: int = 0) -> Value:
    """Join Values (or arrays, or scalar-mode Values) along a new axis."""
    if not len(values):
        raise ValueError("stack needs at least one Value")
    return apply(ops.STACK, *values, saved=axis)


def matmul(a: Any, b: Any) -> Value:
    """a @ b with numpy's rules."""
    return apply(ops.MATMUL, a, b)


def dot(a: Any, b: Any) -> Value:
    """numpy's dot: a product with a 0-d operand, a @ b when b has at most 2 axes, otherwise
    the sum over a's last axis and b's second-to-last."""
    left_value, right_value = as_value(a), as_value(b)
    if left_value.ndim == 0 or right_value.ndim == 0:
        return left_value * right_value
    if right_value.ndim <= 2:
        return left_value @ right_value
    letters = iter(string.ascii_letters)
    left = "".join(next(letters) for _ in range(left_value.ndim))
    right = [next(letters) for _ in range(right_value.ndim)]
    right[-2] = left[-1]
    output = left[:-1] + "".join(right[:-2]) + right[-1]
    return einsum(f"{left},{''.join(right)}->{output}", left_value, right_value)


def outer(a: Any, b: Any) -> Value:
    """The outer product of the flattened a and b: out[i, j] = a[i] * b[j]."""
    return as_value(a).reshape(-1, 1) * as_value(b).reshape(1, -1)


def einsum(subscripts: str, *operands: Any) -> Value:
    """Einstein summation (`"ij,jk->ik"`, `"bij,bjk->bik"`, `"i,i->"`); an output without
    `->` has the letters that appear once, sorted, as numpy's. Each letter appears at most
    once per operand (no diagonals) and `...` is not supported."""
    return apply(ops.EINSUM, *operands, saved=parse_subscripts(subscripts, len(operands)))


def parse_subscripts(subscripts: str, count: int) -> Subscripts:
    """`"ij,jk->ik"` as `(("ij", "jk"), "ik")`, checked; ValueError says what is wrong."""
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ValueError(f"einsum {subscripts!r}: '...' is not supported; name every axis")
    left, arrow, output = text.partition("->")
    inputs = tuple(left.split(","))
    letters = "".join(inputs)
    bad = [c for c in letters + output if c not in string.ascii_letters]
    if bad:
        raise ValueError(f"einsum {subscripts!r}: subscripts are letters, got {bad[0]!r}")
    if not arrow:
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(inputs) != count:
        raise ValueError(f"einsum {subscripts!r} names {len(inputs)} operands, got {count}")
    for i, term in enumerate(inputs):
        repeated = [c for c in term if term.count(c) > 1]
        if repeated:
            raise ValueError(
                f"einsum {subscripts!r}: letter {repeated[0]!r} repeats in operand {i} "
                "(diagonals are not supported)"
            )
    unknown = [c for c in output if c not in letters]
    if unknown or len(set(output)) != len(output):
        raise ValueError(f"einsum {subscripts!r}: output letters must each appear once, in inputs")
    return inputs, output


# -- comparisons (tests, not differentiated) --------------------------------------------------


def equal(a: Any, b: Any) -> Any:
    """Elementwise a == b on the data: a Python bool in scalar mode, else a numpy bool array."""
    result = _data(a) == _data(b)
    return result if type(result) is bool else np.asarray(result)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x
