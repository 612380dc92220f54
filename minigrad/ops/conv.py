"""Convolution and pooling over (N, C, H, W) arrays, each one fused op per layer.

`CONV2D` is PyTorch's `conv2d` (cross-correlation; weight (out, in, kh, kw); optional bias): its
forward reads every kh x kw window through a strided view (numpy's sliding windows), copies the
windows once into a (C kh kw, OH OW) matrix per sample (im2col) and multiplies them by the weight
in one batched matrix product. A convolution is linear in its input and in its weight, so its two
gradients are convolutions too:

- `CONV2D_GRAD_INPUT(g, w)`, the transposed convolution: each output gradient spread back over
  the window it was read from;
- `CONV2D_GRAD_WEIGHT(x, g)`: windows of x contracted with g.

Each of the three is the adjoint of the others in one argument, so their rules are calls of one
another: every rule runs on graph nodes as well as on data, and second derivatives work.

Pooling: `MAX_POOL2D` sends each window's gradient to its maximum (the first one, in row-major
order, when several tie: what PyTorch does) through `MAX_POOL2D_GRAD`, a scatter whose own gradient
is a gather (an indexing). Pooling runs one elementwise pass per kernel offset: a reduction over
the small, strided window axes is many times slower. `AVG_POOL2D`'s gradient `AVG_POOL2D_GRAD`
spreads g / (kh kw) over each window; the two are each other's adjoint.

Every op's `saved` holds pairs: `(stride, padding)`, plus the shape an adjoint must produce.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of

Pair = tuple[int, int]


def _padded(x: Any, padding: Pair, value: float = 0.0) -> Any:
    """x with `padding` rows and columns of `value` added on each side of its last two axes."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)  # np.pad costs 20x more
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _windows(x: Any, kernel: Pair, stride: Pair) -> Any:
    """A read-only view of x's (kh, kw) windows: shape (N, C, OH, OW, kh, kw), nothing copied
    (what `sliding_window_view` gives, strided directly: a third of the Python overhead)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    shape = (n, c, (h - kh) // sh + 1, (w - kw) // sw + 1, kh, kw)
    s0, s1, s2, s3 = x.strides
    return as_strided(x, shape, (s0, s1, s2 * sh, s3 * sw, s2, s3), writeable=False)


def _columns(x: Any, kernel: Pair, stride: Pair, padding: Pair) -> Any:
    """im2col: x's windows copied once into an (N, C kh kw, OH OW) array, so that each sample's
    product with the (O, C kh kw) weight matrix is an (O, OH OW) block of the output, already in
    the (N, O, OH, OW) layout."""
    windows = _windows(_padded(x, padding), kernel, stride)
    n, c, _, _, kh, kw = windows.shape
    return np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, -1)


def _spread(cols: Any, size: tuple[int, ...], stride: Pair, padding: Pair) -> Any:
    """The adjoint of `_columns`: window entries `cols` (N, C, kh, kw, OH, OW) added back onto
    an (N, C, H, W) input of size (H, W), the padding cropped off again."""
    n, c, kh, kw, oh, ow = cols.shape
    h, w = size
    ph, pw = padding
    sh, sw = stride
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # one strided add per kernel offset: kh * kw adds, not one per pixel
        for j in range(kw):
            out[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] += cols[:, :, i, j]
    return out[:, :, ph : ph + h, pw : pw + w]


def _matrices(g: Any) -> Any:
    """An (N, O, OH, OW) gradient as N (O, OH OW) matrices."""
    return g.reshape(*g.shape[:2], -1)


# -- convolution ---------------------------------------------------------------------------------


def _conv2d(x: Any, weight: Any, *rest: Any) -> Any:
    """conv2d(x, w)[n, o, i, j] = sum_{c, a, b} x_padded[n, c, i*sh + a, j*sw + b] w[o, c, a, b]
    (+ bias[o]); `rest` is `(bias, saved)` or `(saved,)`."""
    *bias, (stride, padding) = rest
    kernel = weight.shape[2:]
    cols = _columns(x, kernel, stride, padding)  # (N, C kh kw, OH OW)
    out = weight.reshape(weight.shape[0], -1) @ cols  # one product per sample: (N, O, OH OW)
    if bias:
        column = bias[0][:, None]
        if np.result_type(out, column) == out.dtype:
            out += column  # the product is a fresh array: add in place
        else:
            out = out + column  # the bias promotes the dtype, as numpy's rules say
    (h, w), (kh, kw), (sh, sw), (ph, pw) = x.shape[2:], kernel, stride, padding
    return out.reshape(*out.shape[:2], (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)


def _conv2d_vjp(g: Any, node: RuleNode) -> Grads:
    """d conv2d(x, w) + b = (conv2d_grad_input(g, w), conv2d_grad_weight(x, g), sum of g over
    N, H, W)"""
    x, weight, *bias = node.parents
    stride, padding = node.saved
    shape = np.shape(data_of(x.data))
    gx = gw = None
    if x.requires_grad:
        gx = call(CONV2D_GRAD_INPUT, g, weight.data, saved=(stride, padding, shape[2:]))
    if weight.requires_grad:
        kernel = np.shape(data_of(weight.data))[2:]
        gw = call(CONV2D_GRAD_WEIGHT, x.data, g, saved=(stride, padding, kernel))
    if not bias:
        return gx, gw
    return gx, gw, g.sum(axis=(0, 2, 3)) if bias[0].requires_grad else None


def _conv2d_grad_input(g: Any, weight: Any, params: tuple[Pair, Pair, Pair]) -> Any:
    """conv2d_grad_input(g, w) = the transposed convolution: g[n, o, i, j] w[o, c, a, b] added
    at x[n, c, i*sh + a - ph, j*sw + b - pw]"""
    stride, padding, size = params
    o, c, kh, kw = weight.shape
    cols = weight.reshape(o, -1).T @ _matrices(g)  # (N, C kh kw, OH OW)
    return _spread(cols.reshape(g.shape[0], c, kh, kw, *g.shape[2:]), size, stride, padding)


def _conv2d_grad_input_vjp(h: Any, node: RuleNode) -> Grads:
    """d conv2d_grad_input(g, w) = (conv2d(h, w), conv2d_grad_weight(h, g)): it is conv2d's
    adjoint in x"""
    g, weight = node.parents
    stride, padding, _ = node.saved
    gg = gw = None
    if g.requires_grad:
        gg = call(CONV2D, h, weight.data, saved=(stride, padding))
    if weight.requires_grad:
        kernel = np.shape(data_of(weight.data))[2:]
        gw = call(CONV2D_GRAD_WEIGHT, h, g.data, saved=(stride, padding, kernel))
    return gg, gw


def _conv2d_grad_weight(x: Any, g: Any, params: tuple[Pair, Pair, Pair]) -> Any:
    """conv2d_grad_weight(x, g)[o, c, a, b] = sum_{n, i, j} g[n, o, i, j]
    x_padded[n, c, i*sh + a, j*sw + b]"""
    stride, padding, kernel = params
    cols = _columns(x, kernel, stride, padding)  # (N, C kh kw, OH OW)
    out = (_matrices(g) @ cols.transpose(0, 2, 1)).sum(axis=0)  # summed per-sample products
    return out.reshape(g.shape[1], x.shape[1], *kernel)


def _conv2d_grad_weight_vjp(h: Any, node: RuleNode) -> Grads:
    """d conv2d_grad_weight(x, g) = (conv2d_grad_input(g, h), conv2d(x, h)): it is conv2d's
    adjoint in w"""
    x, g = node.parents
    stride, padding, _ = node.saved
    gx = gg = None
    if x.requires_grad:
        size = np.shape(data_of(x.data))[2:]
        gx = call(CONV2D_GRAD_INPUT, g.data, h, saved=(stride, padding, size))
    if g.requires_grad:
        gg = call(CONV2D, x.data, h, saved=(stride, padding))
    return gx, gg


# -- pooling -------------------------------------------------------------------------------------


def _offsets(
    x: Any, kernel: Pair, stride: Pair, padding: Pair, fill: float
) -> Iterator[tuple[int, int, Any]]:
    """For each kernel offset (a, b) in row-major order: the (N, C, OH, OW) view of the padded
    x that holds entry (a, b) of every window."""
    xp = _padded(x, padding, fill)
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    for a in range(kh):
        for b in range(kw):
            yield a, b, xp[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw]


def _max_pool2d(x: Any, params: tuple[Pair, Pair, Pair]) -> Any:
    """max_pool2d(x)[n, c, i, j] = max of x's window at (i*sh - ph, j*sw - pw); padding is -inf"""
    out: Any = None
    for _, _, part in _offsets(x, *params, -np.inf):  # kh * kw elementwise maxima: a reduction
        if out is None:  # over small strided axes would be many times slower
            out = part.copy()
        else:
            np.maximum(out, part, out=out)
    return out


def window_winners(x: Any, out: Any, params: tuple[Pair, Pair, Pair]) -> Any:
    """Which entry of each window is its maximum `out`: a bool array (kh, kw, N, C, OH, OW),
    one True per window (the first in row-major order on ties, a NaN if the window has one)."""
    kernel = params[0]
    winners = np.empty((*kernel, *out.shape), dtype=bool)
    taken = np.zeros(out.shape, dtype=bool)
    for a, b, part in _offsets(x, *params, -np.inf):
        hit = np.equal(part, out, out=winners[a, b])
        hit &= ~taken
        taken |= hit
    if not taken.all():  # a window holding NaN: its maximum is NaN, and the NaN wins
        for a, b, part in _offsets(x, *params, -np.inf):
            hit = np.isnan(part) & ~taken
            winners[a, b] |= hit
            taken |= hit
    return winners


def _max_pool2d_vjp(g: Any, node: RuleNode) -> Grads:
    """d max_pool2d(x) = g added at each window's maximum, 0 elsewhere (a tie goes to the first)"""
    x = data_of(node.parents[0].data)  # which entry wins is not differentiated
    winners = window_winners(x, data_of(node.data), node.saved)
    return (call(MAX_POOL2D_GRAD, g, saved=(winners, x.shape[2:], node.saved)),)


def _max_pool2d_grad(g: Any, saved: tuple[Any, Pair, tuple[Pair, Pair, Pair]]) -> Any:
    """max_pool2d_grad(g) = g[n, c, i, j] added at the winning entry of window (i, j)"""
    winners, (h, w), (kernel, stride, padding) = saved
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, oh, ow = g.shape
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=g.dtype)
    apart = sh >= kh and sw >= kw  # windows do not overlap: each entry is written once
    for a in range(kh):
        for b in range(kw):
            view = out[:, :, a : a + sh * oh : sh, b : b + sw * ow : sw]
            if apart:
                np.multiply(g, winners[a, b], out=view)
            else:
                view += g * winners[a, b]
    return out[:, :, ph : ph + h, pw : pw + w]


def _max_pool2d_grad_vjp(grad: Any, node: RuleNode) -> Grads:
    """d max_pool2d_grad(g) = grad gathered at each window's winning entry"""
    winners, (h, w), (kernel, stride, padding) = node.saved
    _, _, n, c, oh, ow = winners.shape
    best = winners.reshape(-1, n, c, oh, ow).argmax(axis=0)  # the winning offset a * kw + b
    rows = np.arange(oh)[:, None] * stride[0] + best // kernel[1] - padding[0]
    cols = np.arange(ow)[None, :] * stride[1] + best % kernel[1] - padding[1]
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    return (grad.reshape(-1)[planes + rows * w + cols],)


def _avg_pool2d(x: Any, params: tuple[Pair, Pair, Pair]) -> Any:
    """avg_pool2d(x)[n, c, i, j] = mean of x's window, zero padding counted (PyTorch's default)"""
    total: Any = None
    for _, _, part in _offsets(x, *params, 0.0):  # as in max_pool2d: one pass per offset
        if total is None:
            total = part.copy()
        else:
            total += part
    kh, kw = params[0]
    total /= kh * kw
    return total


def _avg_pool2d_vjp(g: Any, node: RuleNode) -> Grads:
    """d avg_pool2d(x) = g / (kh kw) spread over each window"""
    shape = np.shape(data_of(node.parents[0].data))
    return (call(AVG_POOL2D_GRAD, g, saved=(*node.saved, shape[2:])),)


def _avg_pool2d_grad(g: Any, params: tuple[Pair, Pair, Pair, Pair]) -> Any:
    """avg_pool2d_grad(g) = g[n, c, i, j] / (kh kw) added over window (i, j) of an (H, W) input"""
    kernel, stride, padding, size = params
    kh, kw = kernel
    share = (g / (kh * kw))[:, :, None, None]  # (N, C, 1, 1, OH, OW): the same for every offset
    return _spread(
        np.broadcast_to(share, (*g.shape[:2], kh, kw, *g.shape[2:])), size, stride, padding
    )


def _avg_pool2d_grad_vjp(h: Any, node: RuleNode) -> Grads:
    """d avg_pool2d_grad(g) = avg_pool2d(h): the two are each other's adjoint"""
    kernel, stride, padding, _ = node.saved
    return (call(AVG_POOL2D, h, saved=(kernel, stride, padding)),)


CONV2D = Op("conv2d", _conv2d, _conv2d_vjp)
"""PyTorch's conv2d of (N, C, H, W) by (O, C, kh, kw), plus an optional bias (O,); saved
`(stride, padding)`."""
CONV2D_GRAD_INPUT = Op("conv2d_grad_input", _conv2d_grad_input, _conv2d_grad_input_vjp)
"""The transposed convolution: conv2d's gradient in its input; saved `(stride, padding, (H, W))`."""
CONV2D_GRAD_WEIGHT = Op("conv2d_grad_weight", _conv2d_grad_weight, _conv2d_grad_weight_vjp)
"""conv2d's gradient in its weight; saved `(stride, padding, (kh, kw))`."""
MAX_POOL2D = Op("max_pool2d", _max_pool2d, _max_pool2d_vjp)
"""Window maxima; saved `(kernel, stride, padding)`."""
MAX_POOL2D_GRAD = Op("max_pool2d_grad", _max_pool2d_grad, _max_pool2d_grad_vjp)
"""g put at each window's winning entry: max_pool2d's gradient; saved `(winners, (H, W), (kernel,
stride, padding))`, winners from `window_winners`."""
AVG_POOL2D = Op("avg_pool2d", _avg_pool2d, _avg_pool2d_vjp)
"""Window means; saved `(kernel, stride, padding)`."""
AVG_POOL2D_GRAD = Op("avg_pool2d_grad", _avg_pool2d_grad, _avg_pool2d_grad_vjp)
"""avg_pool2d's gradient; saved `(kernel, stride, padding, (H, W))`."""
