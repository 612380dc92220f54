"""More elementwise functions: abs, sqrt, sin, cos, exp2, log1p, expm1, sign and clip.

Floats go through `math` (scalar mode's fast path), arrays through numpy; both give numpy's
answers off the domain (nan, or +-inf at a pole), so the two modes agree. At a kink the
gradient is PyTorch's subgradient: abs'(0) = 0, sign' = 0 everywhere, and clip passes the
gradient where lo <= x <= hi (bounds included).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of

_LN2 = math.log(2.0)


def _abs(x: Any) -> Any:
    return abs(x) if type(x) is float else np.abs(x)


def _sign(x: Any) -> Any:
    if type(x) is float:  # numpy's answers: 0.0 at -0.0 too, nan at nan
        return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))
    return np.sign(x)


def _abs_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx |x| = sign(x) (0 at x = 0, as PyTorch)"""
    return (g * _sign(data_of(node.parents[0].data)),)


def _sqrt(x: Any) -> Any:
    if type(x) is float:
        return math.sqrt(x) if x >= 0.0 else math.nan
    return np.sqrt(x)


def _sqrt_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx sqrt(x) = 1 / (2 sqrt(x))"""
    root = node.data
    if type(root) is float and root == 0.0 and type(g) is float:  # numpy's answer: +-inf
        return (math.copysign(math.inf, g) * math.copysign(1.0, root) if g else math.nan,)
    return (g / (2.0 * root),)


def _sin(x: Any) -> Any:
    if type(x) is float:
        return math.sin(x) if math.isfinite(x) else math.nan
    return np.sin(x)


def _sin_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx sin(x) = cos(x)"""
    return (g * call(COS, node.parents[0].data),)


def _cos(x: Any) -> Any:
    if type(x) is float:
        return math.cos(x) if math.isfinite(x) else math.nan
    return np.cos(x)


def _cos_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx cos(x) = -sin(x)"""
    return (-g * call(SIN, node.parents[0].data),)


def _exp2(x: Any) -> Any:
    if type(x) is float:
        try:
            return math.pow(2.0, x)
        except OverflowError:
            return math.inf
    return np.exp2(x)


def _exp2_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx 2^x = 2^x log(2)"""
    return (g * (node.data * _LN2),)


def _log1p(x: Any) -> Any:
    if type(x) is float:
        return math.log1p(x) if x > -1.0 else (-math.inf if x == -1.0 else math.nan)
    return np.log1p(x)


def _log1p_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx log(1 + x) = 1 / (1 + x)"""
    shifted = node.parents[0].data + 1.0
    if type(shifted) is float and shifted == 0.0 and type(g) is float:  # numpy's answer
        return (math.copysign(math.inf, g) if g else math.nan,)
    return (g / shifted,)


def _expm1(x: Any) -> Any:
    if type(x) is float:
        try:
            return math.expm1(x)
        except OverflowError:
            return math.inf
    return np.expm1(x)


def _expm1_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx (e^x - 1) = e^x = expm1(x) + 1"""
    return (g * (node.data + 1.0),)


def _sign_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx sign(x) = 0 (everywhere, as PyTorch: the jump at 0 has no subgradient)"""
    return (g * 0.0,)


def _clip(x: Any, bounds: tuple[Any, Any]) -> Any:
    lo, hi = bounds
    if type(x) is float and _number_or_none(lo) and _number_or_none(hi):
        if lo is not None and x < lo:
            return lo
        return hi if hi is not None and x > hi else x  # nan stays nan, as in numpy
    return np.clip(x, lo, hi)


def _number_or_none(bound: Any) -> bool:
    return bound is None or type(bound) is float


def _clip_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx clip(x, lo, hi) = 1 where lo <= x <= hi (bounds included, as PyTorch), else 0"""
    x = data_of(node.parents[0].data)  # which entries pass is not differentiated
    lo, hi = node.saved
    if type(x) is float and _number_or_none(lo) and _number_or_none(hi):
        inside = (lo is None or x >= lo) and (hi is None or x <= hi)
        return (g if inside else g * 0.0,)
    inside = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return (g * inside.astype(np.result_type(x, np.float32)),)


ABS = Op("abs", _abs, _abs_vjp)
SQRT = Op("sqrt", _sqrt, _sqrt_vjp)
SIN = Op("sin", _sin, _sin_vjp)
COS = Op("cos", _cos, _cos_vjp)
EXP2 = Op("exp2", _exp2, _exp2_vjp)
LOG1P = Op("log1p", _log1p, _log1p_vjp)
EXPM1 = Op("expm1", _expm1, _expm1_vjp)
SIGN = Op("sign", _sign, _sign_vjp)
CLIP = Op("clip", _clip, _clip_vjp, broadcasts=True)
"""`clip(x, lo, hi)` with constant bounds (numbers, arrays or None), saved as `(lo, hi)`."""
