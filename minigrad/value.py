"""`Value`: one node of the computation graph.

A Value holds `.data` (a Python float in scalar mode, a numpy array in tensor mode), `.grad` (same
shape, accumulated by `backward()`), the `parents` it was computed from and the `op` that did it.
Every operator, method and function that makes a node goes through ONE constructor, `apply(op,
*parents, saved=...)`, which runs the op's forward on the parents' data and records the graph
when a gradient is needed; `backward()` hands the graph to a strategy in `minigrad.backward`.
Bookkeeping uses node identity: Value does not override `__eq__`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from minigrad import ops
from minigrad.backward import BackwardStats, run_backward
from minigrad.backward import driver as backward_driver
from minigrad.backward.recording import append_node, start
from minigrad.errors import ShapeError
from minigrad.grad_mode import graph_state
from minigrad.hooks import node_observers
from minigrad.ops import Op
from minigrad.ops.reduce import finite_max

Data: TypeAlias = "float | NDArray[Any]"
Operand: TypeAlias = "Value | float | int | NDArray[Any]"


def as_data(x: Any) -> Data:
    """Convert user input to Value data: numbers become floats, arrays float arrays.

    Python and numpy integers become float64, numpy float32 stays float32; bools, complex numbers,
    strings and objects are rejected with a TypeError.
    """
    if type(x) is float:
        return x
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common case: kept as it is
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


def _operator(
    op_name: str, name: str, reflected: bool = False
) -> Callable[[Value, Operand], Value]:
    """The binary operator method `name` of Value (`__mul__`; `__rmul__` when `reflected`).

    It is `apply(op, self, other)` (`apply(op, other, self)` when reflected), `op` being
    `minigrad.ops.<op_name>` read at each call (an op replaced there takes effect), with the
    commonest node built inline: scalar mode (float data, or a number operand) and no node
    observers. That saves `apply`'s generic dispatch, about a third of the time of making a
    node; anything else goes to `apply`, which builds the same node.
    """
    table = vars(ops)

    def method(self: Value, other: Operand) -> Value:
        op: Op = table[op_name]
        x = self.data
        if type(x) is float and not node_observers:
            state = graph_state()  # None before the context's first node: apply starts it
            kind = type(other)
            if state is not None:
                if kind is Value:
                    y = other.data  # type: ignore[union-attr]
                    operand: Value = other  # type: ignore[assignment]
                elif kind is float or kind is int:
                    y = float(other)
                    operand = _new(Value)  # a constant, as `_constant` makes it (inlined)
                    operand.data = y
                    operand._grad = None
                    operand.parents = ()
                    operand.op = None
                    operand.saved = None
                    operand.label = ""
                    operand.requires_grad = False
                    operand._version = _clock
                else:
                    y = None
                if type(y) is float:
                    try:
                        data = op.forward(y, x) if reflected else op.forward(x, y)
                    except ArithmeticError:  # (none for floats today) apply explains
                        return apply(op, other, self) if reflected else apply(op, self, other)
                    # `_node`'s writes, inlined: binary operators make most scalar nodes, and
                    # the call would cost each of them 13% (a * b: 360 -> 407 ns, measured)
                    out: Value = _new(Value)
                    out.data = data
                    out._grad = None
                    out.label = ""
                    out.saved = None
                    out._version = _clock
                    if state is not False and (self.requires_grad or operand.requires_grad):
                        out.parents = (operand, self) if reflected else (self, operand)
                        out.op = op.plain
                        out.requires_grad = True
                        if state is not True:  # `tape` records
                            append_node(state, out)
                    else:
                        out.parents = ()
                        out.op = None
                        out.requires_grad = False
                    return out
        return apply(op, other, self) if reflected else apply(op, self, other)

    method.__name__ = name
    method.__qualname__ = f"Value.{name}"
    return method


class Value:
    """A node of the computation graph: data, gradient, parents and the op that made it.

    Args:
        data: a number (scalar mode: `.data` is a float) or an array-like (tensor mode).
        label: a name shown in graphs and error messages.
        requires_grad: whether backward() computes a gradient for this leaf.
    """

    __slots__ = (
        "data",
        "_grad",
        "parents",
        "op",
        "saved",
        "label",
        "requires_grad",
        "_version",
        "__weakref__",
    )

    data: Data
    _grad: Any
    parents: tuple[Value, ...]
    op: Op | None
    saved: Any
    label: str
    requires_grad: bool
    _version: int  # the version clock when made, or when `.data` last changed (bump_version)

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True) -> None:
        _fill(self, as_data(data), (), None, None, requires_grad)
        self.label = label

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
        if isinstance(seed, Value):
            seed = seed.data
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

    # -- Python protocols: as for a float, or a numpy array, of the same data -----------------

    def __bool__(self) -> bool:
        """bool of the data: False for 0.0; a ValueError for arrays of several elements."""
        return bool(self.data)

    def __len__(self) -> int:
        """The length of the first axis; a TypeError in scalar mode and for 0-d arrays."""
        data = self.data
        if isinstance(data, float):
            raise TypeError("a scalar Value has no len(), as a float has none")
        if data.ndim == 0:
            raise TypeError("len() of a 0-d Value (shape ()), as of a 0-d numpy array")
        return len(data)

    def __iter__(self) -> Iterator[Value]:
        """The Values `self[0]`, `self[1]`, ... along the first axis (graph nodes, not data)."""
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        what = f"op={self.op.name}" if self.op is not None else "leaf"
        label = f", label={self.label!r}" if self.label else ""
        grad = "" if self._grad is None else f", grad={self._grad!r}"
        return f"Value({self.data!r}, {what}{label}{grad})"

    # -- arithmetic -------------------------------------------------------------------------

    # The scalar-mode fast paths (`_operator`) build the same nodes `apply` builds.
    __add__ = _operator("ADD", "__add__")
    __radd__ = _operator("ADD", "__radd__", reflected=True)
    __sub__ = _operator("SUB", "__sub__")
    __rsub__ = _operator("SUB", "__rsub__", reflected=True)
    __mul__ = _operator("MUL", "__mul__")
    __rmul__ = _operator("MUL", "__rmul__", reflected=True)
    __truediv__ = _operator("DIV", "__truediv__")
    __rtruediv__ = _operator("DIV", "__rtruediv__", reflected=True)

    def __matmul__(self, other: Operand) -> Value:
        return apply(ops.MATMUL, self, other)

    def __rmatmul__(self, other: Operand) -> Value:
        return apply(ops.MATMUL, other, self)

    def __pow__(self, other: Operand) -> Value:
        if isinstance(other, int | float) and not isinstance(other, bool):
            return apply(ops.POWER, self, saved=float(other))
        return apply(ops.POW, self, other)

    def __rpow__(self, other: Operand) -> Value:
        return apply(ops.POW, other, self)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    # -- comparisons: elementwise tests on the data, not differentiated -----------------------
    # `==` and `!=` stay identity (the graph keys nodes by identity): `mg.equal` compares values.

    def __lt__(self, other: Operand) -> Any:
        return _compared(self.data < _data(other))

    def __le__(self, other: Operand) -> Any:
        return _compared(self.data <= _data(other))

    def __gt__(self, other: Operand) -> Any:
        return _compared(self.data > _data(other))

    def __ge__(self, other: Operand) -> Any:
        return _compared(self.data >= _data(other))

    # -- numpy interoperability (NEP 13 and NEP 18): `minigrad.numpy_api` ---------------------

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs on Values run minigrad's op (`np.exp(v)`, `ndarray * v`), or refuse."""
        import minigrad.numpy_api as numpy_api  # the layer above this one, loaded by then

        return numpy_api.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """numpy functions on Values run minigrad's (`np.sum(v, axis=1)`), or refuse."""
        import minigrad.numpy_api as numpy_api

        return numpy_api.array_function(func, types, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        raise TypeError(
            "a Value is not converted to an array implicitly (its graph would be lost): "
            "use mg.stack([...]) to build one Value from several, or v.numpy() for the data"
        )

    # -- elementwise ------------------------------------------------------------------------

    def exp(self) -> Value:
        """e^x, elementwise."""
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        """Natural logarithm, elementwise."""
        return _unary(ops.LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent, elementwise."""
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), elementwise, stable for large |x|."""
        return _unary(ops.SIGMOID, self)

    def softplus(self) -> Value:
        """log(1 + e^x), elementwise, stable for large |x|; its derivative is sigmoid(x)."""
        return _unary(ops.SOFTPLUS, self)

    def relu(self) -> Value:
        """max(x, 0), elementwise."""
        return _unary(ops.RELU, self)

    def abs(self) -> Value:
        """|x|, elementwise (also `abs(x)`); the gradient at 0 is 0, as PyTorch's."""
        return _unary(ops.ABS, self)

    def sqrt(self) -> Value:
        """Square root, elementwise (nan below 0; the gradient at 0 is inf)."""
        return _unary(ops.SQRT, self)

    def sin(self) -> Value:
        """Sine, elementwise."""
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        """Cosine, elementwise."""
        return _unary(ops.COS, self)

    def exp2(self) -> Value:
        """2^x, elementwise."""
        return _unary(ops.EXP2, self)

    def log1p(self) -> Value:
        """log(1 + x), elementwise, accurate for small |x|."""
        return _unary(ops.LOG1P, self)

    def expm1(self) -> Value:
        """e^x - 1, elementwise, accurate for small |x|."""
        return _unary(ops.EXPM1, self)

    def sign(self) -> Value:
        """-1, 0 or 1 by the sign of x, elementwise; its gradient is 0 everywhere."""
        return _unary(ops.SIGN, self)

    def clip(self, lo: Any = None, hi: Any = None) -> Value:
        """x limited to [lo, hi] (constants; either may be None); the gradient passes where
        lo <= x <= hi, bounds included (PyTorch's clamp)."""
        if lo is None and hi is None:
            raise TypeError("clip needs a lower bound, an upper bound or both; got neither")
        return apply(ops.CLIP, self, saved=(_bound(lo), _bound(hi)))

    # -- reductions and shape ---------------------------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Sum over `axis` (all axes when None)."""
        return apply(ops.SUM, self, saved=(axis, keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Mean over `axis` (all axes when None)."""
        return apply(ops.MEAN, self, saved=(axis, keepdims))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Maximum over `axis`; the gradient is split evenly between tied maxima."""
        return apply(ops.MAX, self, saved=(axis, keepdims))

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Minimum over `axis`; the gradient is split evenly between tied minima."""
        return apply(ops.MIN, self, saved=(axis, keepdims))

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """Product over `axis` (all axes when None); exact gradients at zero entries too."""
        return apply(ops.PROD, self, saved=(axis, keepdims))

    def var(
        self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False
    ) -> Value:
        """Variance over `axis`: the sum of squared deviations from the mean over (n - ddof)."""
        deviation = self - self.mean(axis=axis, keepdims=True)
        squared = deviation * deviation
        if ddof == 0:
            return squared.mean(axis=axis, keepdims=keepdims)
        total = squared.sum(axis=axis, keepdims=keepdims)
        n = np.size(self.data) // np.size(total.data)  # the elements each sum took
        return total / float(n - ddof)

    def std(
        self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False
    ) -> Value:
        """Standard deviation over `axis`: sqrt(var(axis, ddof)) (its gradient is inf where the
        variance is 0)."""
        return self.var(axis=axis, ddof=ddof, keepdims=keepdims).sqrt()

    def cumsum(self, axis: int | None = None) -> Value:
        """Running sum along `axis` (of the flattened data when None, as numpy's)."""
        return apply(ops.CUMSUM, self, saved=axis)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Value:
        """log(sum(e^x)) over `axis`, computed as m + log(sum(e^(x - m))) with m the (constant)
        maximum, so no exp overflows; its gradient is softmax(x)."""
        top = _top(self, axis, "logsumexp")
        summed = (self - top).exp().sum(axis=axis, keepdims=keepdims).log()
        return summed + (top if keepdims else np.squeeze(top, axis=axis))

    def log_softmax(self, axis: int = -1) -> Value:
        """x - logsumexp(x) along `axis`, computed from x - max(x) so no exp overflows."""
        shifted = self - _top(self, axis, "log_softmax")
        return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()

    def softmax(self, axis: int = -1) -> Value:
        """e^x / sum(e^x) along `axis`, computed from x - max(x) so no exp overflows."""
        exps = (self - _top(self, axis, "softmax")).exp()
        return exps / exps.sum(axis=axis, keepdims=True)

    def reshape(self, *shape: Any) -> Value:
        """The same elements in a new shape (`reshape(2, 3)` or `reshape((2, 3))`)."""
        target = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return apply(ops.RESHAPE, self, saved=target)

    def transpose(self, *axes: int) -> Value:
        """Permute axes (reverse them when none are given)."""
        order = tuple(axes[0]) if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return apply(ops.TRANSPOSE, self, saved=order or None)

    @property
    def T(self) -> Value:  # noqa: N802 - numpy's name
        """The transpose (axes reversed)."""
        return self.transpose()

    def ravel(self) -> Value:
        """The elements as a 1-d Value (numpy's order)."""
        return apply(ops.RESHAPE, self, saved=(-1,))

    def flatten(self) -> Value:
        """The elements as a 1-d Value (the same as `ravel`)."""
        return self.ravel()

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Value:
        """Drop axes of size 1 (all of them when `axis` is None)."""
        return apply(ops.RESHAPE, self, saved=_shape_after(np.squeeze, self, "squeeze", axis))

    def expand_dims(self, axis: int | tuple[int, ...]) -> Value:
        """Insert axes of size 1 at `axis`."""
        target = _shape_after(np.expand_dims, self, "expand_dims", axis)
        return apply(ops.RESHAPE, self, saved=target)

    def swapaxes(self, axis1: int, axis2: int) -> Value:
        """Exchange two axes."""
        _shape_after(np.swapaxes, self, "swapaxes", axis1, axis2)  # checks the axes
        order = list(range(self.ndim))
        order[axis1], order[axis2] = order[axis2], order[axis1]
        return apply(ops.TRANSPOSE, self, saved=tuple(order))

    def __getitem__(self, index: Any) -> Value:
        if type(self.data) is float:
            raise TypeError("a scalar Value cannot be indexed")
        if isinstance(index, Value):
            index = index.data
        return apply(ops.GETITEM, self, saved=index)


def _data(x: Any) -> Any:
    """An operand's data: a Value's `.data`, anything else as it is."""
    return x.data if isinstance(x, Value) else x


def _compared(result: Any) -> Any:
    """A comparison's result: a Python bool (scalar mode) or a numpy bool array."""
    return result if type(result) is bool else np.asarray(result)


def _bound(x: Any) -> Any:
    """A clip bound: None, a float, or an array (a Value's data is a constant here)."""
    x = _data(x)
    if x is None or type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.floating):
        return float(x)
    return x if isinstance(x, np.floating) else np.asarray(x)


def _top(x: Value, axis: Any, name: str) -> NDArray[Any]:
    """The maximum of x's data over `axis` with the axes kept, 0 where it is not finite (a row
    of -inf): a constant that softmax and logsumexp subtract, so no exp overflows."""
    try:
        top: NDArray[Any] = finite_max(np.asarray(x.data), axis)
    except (ValueError, TypeError) as error:  # numpy's AxisError is a ValueError
        raise ShapeError(f"{name}(axis={axis!r}) does not fit shape {x.shape}: {error}") from None
    return top


def _shape_after(reshaper: Any, x: Value, name: str, *args: Any) -> tuple[int, ...]:
    """The shape numpy's `reshaper` gives x's shape, or a ShapeError naming both."""
    try:
        return tuple(np.shape(reshaper(np.broadcast_to(0.0, x.shape), *args)))
    except (ValueError, IndexError, TypeError) as error:
        arguments = ", ".join(map(repr, args))
        raise ShapeError(f"{name}({arguments}) does not fit shape {x.shape}: {error}") from None


# -- the node constructor (the hot path: keep it lean) ----------------------------------------

_new = object.__new__
_clock = 0
"""The version clock: it ticks when minigrad changes a Value's data in place (`bump_version`)."""
_NO_PARAMETERS: Any = object()  # apply's default: the op's forward takes the inputs' data only


def _fill(
    node: Value, data: Data, parents: tuple[Value, ...], op: Op | None, saved: Any, needs: bool
) -> None:
    """Initialise every slot of a node: the one place that knows them all (label set by callers)."""
    node.data = data
    node._grad = None
    node.parents = parents
    node.op = op
    node.saved = saved
    node.label = ""
    node.requires_grad = needs
    node._version = _clock


def _constant(x: Any) -> Value:
    """A Value stays itself; a number or array operand becomes a leaf that needs no gradient."""
    if isinstance(x, Value):
        return x
    out: Value = _new(Value)
    _fill(out, as_data(x), (), None, None, False)
    return out


def _node(
    data: Data, parents: tuple[Value, ...], op: Op, saved: Any, needs: bool, record: Any
) -> Value:
    """The node an op's forward made: recording `parents`, `op` and `saved` when a gradient is
    needed and `record` (the context's graph state, never None) records a graph, appended to
    `tape`'s record when there is one; a constant leaf otherwise. `apply` and `_unary` make
    their nodes here; `_operator` inlines the same writes."""
    out: Value = _new(Value)  # the slots, as _fill sets them (inlined: this runs for every node)
    out.data = data
    out._grad = None
    out.label = ""
    out.saved = saved
    out._version = _clock  # the stamp backward compares each input's version with
    if needs and record is not False:
        out.parents = parents
        out.op = op
        out.requires_grad = True
        if record is not True:  # `tape` records
            append_node(record, out)
    else:
        out.parents = ()
        out.op = None
        out.requires_grad = False
    return out


def apply(op: Op, *parents: Operand, saved: Any = _NO_PARAMETERS) -> Value:
    """The one node constructor: `op`'s forward on the parents' data, as a node of the graph.

    Every operator, method and function that makes a node calls this. Operands that are not
    Values (numbers, arrays) become constants. The output records `parents`, `op` and `saved`
    only when a gradient is needed (some parent requires one and no `no_grad()` block is
    active); otherwise it is a constant leaf. Observers registered in `minigrad.hooks` see
    every node made.

    Args:
        op: the operation (`minigrad.ops`); its forward is called as `op.forward(*datas)`, or
            as `op.forward(*datas, saved)` when `saved` is given (None included).
        *parents: the inputs, in the order the op's rule returns their gradients.
        saved: the op's parameters (an axis, a shape, an exponent, ...), kept on the node as
            `node.saved` (None when not given).

    Raises:
        ShapeError: the inputs' shapes do not fit the op (the message names them).
    """
    if len(parents) == 2 and saved is _NO_PARAMETERS:  # the hot path: a binary operator
        a, b = parents
        if type(a) is not Value:
            a = _constant(a)
        if type(b) is not Value:
            b = _constant(b)
        values: tuple[Value, ...] = (a, b)
        saved = None
        try:
            data = op.forward(a.data, b.data)
        except (ValueError, IndexError, TypeError) as error:
            raise _forward_error(op, values, saved, error, False) from None
        needs = a.requires_grad or b.requires_grad
    else:
        if len(parents) == 1 and type(parents[0]) is Value:  # a method: x.relu(), x ** 2, ...
            x: Value = parents[0]
            values, datas, needs = (x,), [x.data], x.requires_grad
        else:  # three or more operands (a fused op), or operands to convert
            converted, datas, needs = [], [], False  # a loop, not generators: fused ops are hot
            for p in parents:
                v = p if type(p) is Value else _constant(p)
                converted.append(v)
                datas.append(v.data)
                needs = needs or v.requires_grad
            values = tuple(converted)
        has_parameters = saved is not _NO_PARAMETERS
        if not has_parameters:
            saved = None
        try:
            data = op.forward(*datas, saved) if has_parameters else op.forward(*datas)
        except (ValueError, IndexError, TypeError) as error:
            raise _forward_error(op, values, saved, error, has_parameters) from None
    if type(data) is not float:
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # numpy returns scalars from 0-d arithmetic; keep tensor mode
        if op.broadcasts and len(values) == 2:  # (fused ops of three inputs always broadcast)
            pa, pb = values[0].data, values[1].data
            if (
                type(pa) is np.ndarray
                and type(pb) is np.ndarray
                and pa.shape == pb.shape == data.shape
                and pa.dtype == pb.dtype == data.dtype
            ):
                op = op.plain  # every input has the output's layout: nothing to unbroadcast
    elif op.broadcasts:
        op = op.plain  # a float output has float inputs: nothing was broadcast
    record = graph_state()  # False under no_grad(); True, or the record `tape` sweeps
    if record is None:  # the context's first node
        record = start()
    out = _node(data, values, op, saved, needs, record)
    if node_observers:
        for observe in tuple(node_observers):
            observe(out, op, values)
    return out


def _unary(op: Op, x: Value) -> Value:
    """`apply(op, x)` for an op of one input and no parameters (`x.relu()`, `-x`), without
    `apply`'s generic dispatch when the data is a float or an array and the op gives back the
    same kind (anything else goes to `apply`)."""
    data = x.data
    kind = type(data)
    if (kind is float or kind is np.ndarray) and not node_observers:
        state = graph_state()
        if state is not None:
            try:
                data = op.forward(data)
            except (ValueError, IndexError, TypeError, ArithmeticError):
                return apply(op, x)  # which raises the error that names the op and shape
            if type(data) is kind:  # (a numpy scalar from a 0-d array: apply makes it 0-d)
                chosen = op.plain if kind is float else op  # as apply picks it
                return _node(data, (x,), chosen, None, x.requires_grad, state)
    return apply(op, x)


def _forward_error(
    op: Op, parents: tuple[Value, ...], saved: Any, error: Exception, has_parameters: bool
) -> Exception:
    """The error a failed forward raises: ShapeError naming the shapes, or the TypeError."""
    shapes = [p.shape for p in parents]
    if isinstance(error, TypeError):
        if op is ops.MATMUL and any(type(p.data) is float for p in parents):
            return ShapeError(
                f"{op.name}: needs arrays, got shapes {shapes[0]} and {shapes[1]} "
                "(scalar-mode Values cannot be matrix-multiplied)"
            )
        if not has_parameters:
            return error
        # e.g. a float axis: name the op and the shape, not just numpy's message
        return TypeError(f"{op.name}{saved!r} on shape {shapes[0]}: {error}")
    if op is ops.GETITEM:  # numpy's message names the index; add the Value's shape
        return ShapeError(f"{error} (Value of shape {shapes[0]})")
    if len(parents) == 1:
        return ShapeError(f"{op.name}{saved!r} does not fit shape {shapes[0]}: {error}")
    return ShapeError(
        f"{op.name}: shapes {' and '.join(map(str, shapes))} do not fit together ({error})"
    )


def bump_version(*values: Value) -> None:
    """Record that the `.data` of `values` was changed in place (or reassigned).

    Every update minigrad makes to existing data calls this (optimizer steps, `load_state_dict`):
    one tick of the version clock, and each Value's version set to it. A backward pass through a
    graph made before the change then refuses to run (`InplaceModificationError`) instead of
    computing gradients from the new data. Writes that bypass minigrad (`v.data[...] = x`) are
    not seen; call this after them.
    """
    global _clock
    _clock += 1
    for value in values:
        value._version = _clock


def _current_version() -> int:
    return _clock


backward_driver.current_version = _current_version

# Rules call back into the graph through these when a backward pass builds a graph (`ops.core`).
ops.core.node_type = Value
ops.core.make_node = apply
