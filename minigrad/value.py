"""`Value`: one node of the computation graph.

A Value holds `.data` (a Python float in scalar mode, a numpy array in tensor mode), `.grad` (same
shape, accumulated by `backward()`), the `parents` it was computed from and the `op` that did it.
Operators dispatch to the op table in `minigrad.ops`; `backward()` hands the graph to a strategy
in `minigrad.backward`. Bookkeeping uses node identity: Value does not override `__eq__`.
"""

from __future__ import annotations

import numbers
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from minigrad import ops
from minigrad.backward import BackwardStats, run_backward
from minigrad.errors import ShapeError
from minigrad.grad_mode import is_recording
from minigrad.ops import Op

Data: TypeAlias = "float | NDArray[Any]"
Operand: TypeAlias = "Value | float | int | NDArray[Any]"


def as_data(x: Any) -> Data:
    """Convert user input to Value data: numbers become floats, arrays float arrays.

    Python and numpy integers become float64, numpy float32 stays float32; bools, complex numbers,
    strings and objects are rejected with a TypeError.
    """
    if type(x) is float:
        return x
    if isinstance(x, bool | np.bool_):
        raise TypeError("bool data cannot be differentiated; convert it first, e.g. float(x)")
    if (isinstance(x, numbers.Real) and not isinstance(x, np.floating)) or type(x) is np.float64:
        return float(x)
    if isinstance(x, Value):
        raise TypeError("Value(Value(...)) is not allowed: use the Value itself")
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"cannot make a Value from {type(x).__name__}: {error}") from None
    kind = array.dtype.kind
    if kind in "iu":
        return array.astype(np.float64)
    if kind != "f":
        raise TypeError(
            f"Value data must be real numbers; got dtype {array.dtype} "
            "(integers are promoted to float64, bools and complex numbers are rejected)"
        )
    return array


class Value:
    """A node of the computation graph: data, gradient, parents and the op that made it.

    Args:
        data: a number (scalar mode: `.data` is a float) or an array-like (tensor mode).
        label: a name shown in graphs and error messages.
        requires_grad: whether backward() computes a gradient for this leaf.
    """

    __slots__ = ("data", "_grad", "parents", "op", "saved", "label", "requires_grad", "__weakref__")
    __array_ufunc__ = None  # numpy defers to Value's reflected operators: ndarray * Value works

    data: Data
    _grad: Any
    parents: tuple[Value, ...]
    op: Op | None
    saved: Any
    label: str
    requires_grad: bool

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True) -> None:
        self.data = as_data(data)
        self._grad = None
        self.parents = ()
        self.op = None
        self.saved = None
        self.label = label
        self.requires_grad = requires_grad

    # -- gradient ---------------------------------------------------------------------------

    @property
    def grad(self) -> Any:
        """d(output)/d(self), shaped like `.data`; zero until a backward pass reaches this node.

        Gradients ACCUMULATE over backward calls (PyTorch semantics): zero them between steps
        with `Module.zero_grad()`, an optimizer's `zero_grad()`, or `value.grad = None`.
        """
        if self._grad is None:  # zeros, but not stored: reading is not receiving a gradient
            return 0.0 if type(self.data) is float else np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = value

    @property
    def has_grad(self) -> bool:
        """True once a backward pass has given this node a gradient (until zero_grad)."""
        return self._grad is not None

    def zero_grad(self) -> None:
        """Forget this node's accumulated gradient."""
        self._grad = None

    def accumulate_grad(self, grad: Any) -> None:
        """`.grad += grad` (out of place); how the backward driver commits a gradient."""
        old = self._grad
        self._grad = grad if old is None else old + grad

    def backward(
        self, seed: Any = None, *, strategy: str | None = None, trace: bool = False
    ) -> BackwardStats:
        """Accumulate d(self)/d(node) into `.grad` of every node that requires a gradient.

        Args:
            seed: the gradient of the final quantity with respect to self; required when self is
                not a scalar (same shape as `.data`).
            strategy: the backward walk to use; None means the current default.
            trace: record the order in which the walk visited nodes in `stats.visits`.

        Returns:
            BackwardStats: strategy, vjp_calls, nodes, max_depth and seconds of the walk.
        """
        return run_backward(self, seed, strategy, trace)

    # -- shape and conversion ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of `.data` (`()` in scalar mode)."""
        return () if isinstance(self.data, float) else self.data.shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(np.float64) if isinstance(self.data, float) else self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for nodes made by the user rather than by an op."""
        return self.op is None

    def item(self) -> float:
        """The data as a Python float (for one-element data)."""
        return float(self.data) if isinstance(self.data, float) else float(self.data.item())

    def numpy(self) -> NDArray[Any]:
        """The data as a numpy array."""
        return np.asarray(self.data)

    def detach(self) -> Value:
        """A leaf with the same data that requires no gradient."""
        return Value(self.data, requires_grad=False)

    def __float__(self) -> float:
        return self.item()

    def __repr__(self) -> str:
        what = f"op={self.op.name}" if self.op is not None else "leaf"
        label = f", label={self.label!r}" if self.label else ""
        grad = "" if self._grad is None else f", grad={self._grad!r}"
        return f"Value({self.data!r}, {what}{label}{grad})"

    # -- arithmetic -------------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Operand) -> Value:
        return _binary(ops.ADD, _constant(other), self)

    def __sub__(self, other: Operand) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _binary(ops.SUB, _constant(other), self)

    def __mul__(self, other: Operand) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _binary(ops.MUL, _constant(other), self)

    def __truediv__(self, other: Operand) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _binary(ops.DIV, _constant(other), self)

    def __matmul__(self, other: Operand) -> Value:
        return _binary(ops.MATMUL, self, other, needs_arrays=True)

    def __rmatmul__(self, other: Operand) -> Value:
        return _binary(ops.MATMUL, _constant(other), self, needs_arrays=True)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, int | float) and not isinstance(other, bool):
            exponent = float(other)
            return _node(ops.POWER.forward(self.data, exponent), (self,), ops.POWER, exponent)
        return _binary(ops.POW, self, other)

    def __rpow__(self, other: Operand) -> Value:
        return _binary(ops.POW, _constant(other), self)

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), ops.NEG)

    # -- elementwise ------------------------------------------------------------------------

    def exp(self) -> Value:
        """e^x, elementwise."""
        return _node(ops.EXP.forward(self.data), (self,), ops.EXP)

    def log(self) -> Value:
        """Natural logarithm, elementwise."""
        return _node(ops.LOG.forward(self.data), (self,), ops.LOG)

    def tanh(self) -> Value:
        """Hyperbolic tangent, elementwise."""
        return _node(ops.TANH.forward(self.data), (self,), ops.TANH)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), elementwise, stable for large |x|."""
        return _node(ops.SIGMOID.forward(self.data), (self,), ops.SIGMOID)

    def softplus(self) -> Value:
        """log(1 + e^x), elementwise, stable for large |x|; its derivative is sigmoid(x)."""
        return _node(ops.SOFTPLUS.forward(self.data), (self,), ops.SOFTPLUS)

    def relu(self) -> Value:
        """max(x, 0), elementwise."""
        return _node(ops.RELU.forward(self.data), (self,), ops.RELU)

    # -- reductions and shape ---------------------------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Sum over `axis` (all axes when None)."""
        return _unary_with(ops.SUM, self, (axis, keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Mean over `axis` (all axes when None)."""
        return _unary_with(ops.MEAN, self, (axis, keepdims))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Maximum over `axis`; the gradient is split evenly between tied maxima."""
        return _unary_with(ops.MAX, self, (axis, keepdims))

    def reshape(self, *shape: Any) -> Value:
        """The same elements in a new shape (`reshape(2, 3)` or `reshape((2, 3))`)."""
        target = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return _unary_with(ops.RESHAPE, self, target)

    def transpose(self, *axes: int) -> Value:
        """Permute axes (reverse them when none are given)."""
        order = tuple(axes[0]) if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return _unary_with(ops.TRANSPOSE, self, order or None)

    @property
    def T(self) -> Value:  # noqa: N802 - numpy's name
        """The transpose (axes reversed)."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Value:
        if type(self.data) is float:
            raise TypeError("a scalar Value cannot be indexed")
        if isinstance(index, Value):
            index = index.data
        return _unary_with(ops.GETITEM, self, index)


# -- node construction (the hot path: keep it lean) -------------------------------------------

_new = object.__new__


def _node(data: Any, parents: tuple[Value, ...], op: Op, saved: Any = None) -> Value:
    """Make the output node of an op; record the graph only if it is needed."""
    out: Value = _new(Value)
    if type(data) is not float and type(data) is not np.ndarray:
        data = np.asarray(data)  # numpy returns scalars from 0-d arithmetic; keep tensor mode
    out.data = data
    out._grad = None
    out.label = ""
    out.saved = saved
    for parent in parents:
        if parent.requires_grad and is_recording():
            out.parents = parents
            out.op = op
            out.requires_grad = True
            return out
    out.parents = ()
    out.op = None
    out.requires_grad = False
    return out


def _constant(x: Any) -> Value:
    """Wrap a number or array operand as a leaf that needs no gradient."""
    if type(x) is Value:
        return x
    if isinstance(x, Value):
        return x
    out: Value = _new(Value)
    out.data = as_data(x)
    out._grad = None
    out.parents = ()
    out.op = None
    out.saved = None
    out.label = ""
    out.requires_grad = False
    return out


def _binary(op: Op, a: Value, b: Any, needs_arrays: bool = False) -> Value:
    if type(b) is not Value:
        b = _constant(b)
    try:
        data = op.forward(a.data, b.data)
    except ValueError as error:
        raise ShapeError(
            f"{op.name}: shapes {a.shape} and {b.shape} do not fit together ({error})"
        ) from None
    except TypeError:
        if needs_arrays and (type(a.data) is float or type(b.data) is float):
            raise ShapeError(
                f"{op.name}: needs arrays, got shapes {a.shape} and {b.shape} "
                "(scalar-mode Values cannot be matrix-multiplied)"
            ) from None
        raise
    return _node(data, (a, b), op)


def _unary_with(op: Op, a: Value, saved: Any) -> Value:
    """An op of one input with saved parameters (axis, shape, index, ...)."""
    try:
        data = op.forward(a.data, saved)
    except (ValueError, IndexError) as error:
        if op is ops.GETITEM:  # numpy's message names the index; add the Value's shape
            raise ShapeError(f"{error} (Value of shape {a.shape})") from None
        raise ShapeError(f"{op.name}{saved!r} does not fit shape {a.shape}: {error}") from None
    except TypeError as error:  # e.g. a float axis: name the op and the shape, not just numpy's
        raise TypeError(f"{op.name}{saved!r} on shape {a.shape}: {error}") from None
    return _node(data, (a,), op, saved)


def linear(x: Any, weight: Value, bias: Value | None = None) -> Value:
    """x @ weight.T + bias as one graph node (`ops.LINEAR`); `nn.Linear`'s forward pass.

    Args:
        x: one sample of shape (in,) or a batch of rows (n, in): a Value, array or list.
        weight: a tensor-mode Value of shape (out, in), PyTorch's layout.
        bias: a tensor-mode Value of shape (out,), or None.

    Other shapes (a stack of batches, say) are computed as the three ops `x @ weight.T + bias`,
    with the same numbers and gradients.
    """
    xv = _constant(x)  # a Value stays itself
    w, b, xd = weight.data, None if bias is None else bias.data, xv.data
    if not (
        isinstance(w, np.ndarray)
        and w.ndim == 2
        and isinstance(xd, np.ndarray)
        and xd.ndim in (1, 2)
        and (b is None or (isinstance(b, np.ndarray) and b.shape == w.shape[:1]))
    ):
        out = xv @ weight.T
        return out if bias is None else out + bias
    if xd.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {xd.shape} does not fit a weight of shape {w.shape} "
            f"(needs {w.shape[1]} features in the last axis)"
        )
    parents = (xv, weight) if bias is None else (xv, weight, bias)
    return _node(ops.LINEAR.forward(xd, w, b), parents, ops.LINEAR)
