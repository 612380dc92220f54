"""numpy's functions on Values (NEP 13 `__array_ufunc__`, NEP 18 `__array_function__`).

`np.exp(v)`, `np.sum(v, axis=1)`, `np.concatenate([v, w])`, `np.maximum(v, 0)` and `ndarray * v`
run the minigrad function of the same meaning, found in the two tables below, and return a
Value. A numpy function or ufunc method minigrad lacks raises a TypeError naming it: never an
array of objects. Comparisons and tests (`np.greater`, `np.isfinite`, ...) act on the data and
return bool arrays, as the comparison operators do; `np.shape`, `np.ndim` and `np.size` answer
for the data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import functions as fn
from minigrad.value import Value


def _on_data(test: Callable[..., Any]) -> Callable[..., Any]:
    """A numpy test run on the operands' data (not differentiated)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        return test(*(a.data if isinstance(a, Value) else a for a in args), **kwargs)

    return run


def _clip(
    a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None, max: Any = None
) -> Value:
    """np.clip's spellings of the bounds: positional, a_min/a_max, or min/max (numpy 2)."""
    return fn.clip(a, a_min if min is None else min, a_max if max is None else max)


UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: fn.add,
    np.subtract: fn.subtract,
    np.multiply: fn.multiply,
    np.divide: fn.divide,
    np.power: fn.power,
    np.negative: fn.negative,
    np.square: fn.square,
    np.reciprocal: fn.reciprocal,
    np.matmul: fn.matmul,
    np.exp: fn.exp,
    np.log: fn.log,
    np.tanh: fn.tanh,
    np.sqrt: fn.sqrt,
    np.sin: fn.sin,
    np.cos: fn.cos,
    np.exp2: fn.exp2,
    np.log1p: fn.log1p,
    np.expm1: fn.expm1,
    np.sign: fn.sign,
    np.absolute: fn.abs,
    np.maximum: fn.maximum,
    np.minimum: fn.minimum,
    np.less: _on_data(operator.lt),
    np.less_equal: _on_data(operator.le),
    np.greater: _on_data(operator.gt),
    np.greater_equal: _on_data(operator.ge),
    np.equal: fn.equal,
    np.not_equal: _on_data(np.not_equal),
    np.isfinite: _on_data(np.isfinite),
    np.isnan: _on_data(np.isnan),
    np.isinf: _on_data(np.isinf),
}
"""numpy ufunc -> minigrad function, for `ufunc(...)` itself (not `.reduce`, `.at`, ...)."""

FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: fn.sum,
    np.mean: fn.mean,
    np.max: fn.max,
    np.amax: fn.max,
    np.min: fn.min,
    np.amin: fn.min,
    np.prod: fn.prod,
    np.var: fn.var,
    np.std: fn.std,
    np.cumsum: fn.cumsum,
    np.clip: _clip,
    np.reshape: fn.reshape,
    np.transpose: fn.transpose,
    np.ravel: fn.ravel,
    np.squeeze: fn.squeeze,
    np.expand_dims: fn.expand_dims,
    np.swapaxes: fn.swapaxes,
    np.concatenate: fn.concatenate,
    np.stack: fn.stack,
    np.where: fn.where,
    np.dot: fn.dot,
    np.outer: fn.outer,
    np.einsum: fn.einsum,
    np.shape: _on_data(np.shape),
    np.ndim: _on_data(np.ndim),
    np.size: _on_data(np.size),
}
"""numpy function -> minigrad function of the same arguments (those minigrad supports)."""


def _refuse_keywords(kwargs: dict[str, Any]) -> None:
    """Refuse the ufunc keywords minigrad cannot honour (`out=`, `where=`, `dtype=`, ...)."""
    given = sorted(k for k, v in kwargs.items() if v is not None)
    if given:
        raise TypeError(f"keyword argument(s) {', '.join(given)} are not supported on Values")


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`Value.__array_ufunc__`: run the minigrad function for `ufunc`, or raise TypeError."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    function = UFUNCS.get(ufunc) if method == "__call__" else None
    if function is None:
        raise TypeError(f"{name} is not supported on minigrad Values{_hint()}")
    try:
        _refuse_keywords(kwargs)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None
    return function(*inputs)


def array_function(
    func: Any, types: tuple[type, ...], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """`Value.__array_function__`: run the minigrad function for `func`, or raise TypeError."""
    if not all(issubclass(t, Value | np.ndarray) for t in types):
        return NotImplemented  # another library's type takes part: let it answer
    function = FUNCTIONS.get(func)
    if function is None:
        name = f"{func.__module__}.{func.__name__}".replace("numpy._core.", "numpy.")
        raise TypeError(f"{name} is not supported on minigrad Values{_hint()}")
    return function(*args, **kwargs)


def _hint() -> str:
    return (
        " (minigrad has no gradient for it): compute it from minigrad's functions "
        "(mg.exp, mg.sum, mg.where, ...), or use v.numpy() for the data without a gradient"
    )
