"""Binary arithmetic and negation: forward and vector-Jacobian product side by side.

The binary ops broadcast (`broadcasts=True`): each rule below is the formula alone, with
gradients shaped like the output, and `Op.vjp` sums them back to each parent's shape.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of
from minigrad.ops.elementwise import LOG


def _add_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a + b) = (g, g)"""
    return g, g


def _sub_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a - b) = (g, -g)"""
    return g, -g


def _mul_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a * b) = (g * b, g * a)"""
    a, b = node.parents
    return (
        g * b.data if a.requires_grad else None,
        g * a.data if b.requires_grad else None,
    )


def _div_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a / b) = (g / b, -g * a / b^2)"""
    a, b = node.parents
    return (
        _truediv(g, b.data) if a.requires_grad else None,
        _truediv(-g * node.data, b.data) if b.requires_grad else None,
    )


def _neg_vjp(g: Any, node: RuleNode) -> Grads:
    """d(-a) = -g"""
    return (-g,)


def _float_pow(a: float, b: float) -> float:
    """a ** b for floats with numpy's answers: nan off the real domain, inf on overflow."""
    if b == 0.5:  # numpy takes the square root here: sqrt(-0.0) = -0.0, sqrt(-inf) = nan
        return math.sqrt(a) if a >= 0.0 else math.nan
    try:
        return math.pow(a, b)
    except ValueError:  # a negative base with a fractional exponent, or 0 ** negative
        if a != 0.0:
            return math.nan
        odd = b % 2.0 == 1.0  # (-0.0) ** -3 is -inf, as in C and numpy
        return -math.inf if odd and math.copysign(1.0, a) < 0.0 else math.inf
    except OverflowError:
        return math.inf


def _pow_forward(a: Any, b: Any) -> Any:
    if type(a) is float and type(b) is float:
        return _float_pow(a, b)
    return np.power(a, b)


def _pow_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a ** b) = (g * b * a^(b-1), g * a^b * log(a)), each 0 where a = 0 and the power is flat

    At a = 0 the textbook formulas meet 0 * inf: b * 0^(b-1) with b = 0, and 0^b * log(0) with
    b > 0. The limits are 0 there (as in PyTorch and HIPS autograd), so the rule shifts the
    offending exponent or logarithm's argument to where the product is exactly 0 instead.
    """
    a, b = node.parents
    ga = gb = None
    base, exponent = data_of(a.data), data_of(b.data)  # where the edge is: not differentiated
    if a.requires_grad:
        flat = _where_zero(base, exponent, operator.eq)  # b * a^(b-1) with b = 0, a = 0
        power = call(POW, a.data, b.data - 1 + flat)  # floats too: nan or inf, never an exception
        ga = g * b.data * power
    if b.requires_grad:
        flat = _where_zero(base, exponent, operator.ge)  # a^b * log(a) with b >= 0, a = 0
        gb = g * node.data * call(LOG, a.data + flat)  # numpy's answers off the domain, floats too
    return ga, gb


def _where_zero(base: Any, exponent: Any, compare: Any) -> Any:
    """1.0 where base == 0 and compare(exponent, 0), else 0.0 (a float, or an array)."""
    if type(base) is float and type(exponent) is float:
        return 1.0 if base == 0.0 and compare(exponent, 0.0) else 0.0
    mask = (np.asarray(base) == 0) & compare(np.asarray(exponent), 0)
    dtype = np.result_type(base, exponent)
    return mask.astype(dtype if dtype.kind == "f" else np.float64)


def _power_forward(a: Any, exponent: float) -> Any:
    if type(a) is float:
        return _float_pow(a, exponent)
    return np.power(a, exponent)


def _truediv(a: Any, b: Any) -> Any:
    try:
        return a / b
    except ZeroDivisionError:  # floats only; numpy's answer: +-inf, or nan for 0 / 0 and nan / 0
        return math.copysign(math.inf, a) * math.copysign(1.0, b) if a and a == a else math.nan


def _power_vjp(g: Any, node: RuleNode) -> Grads:
    """d(a ** n) = g * n * a^(n-1), for a constant number n (0 for n = 0, even at a = 0)"""
    (a,) = node.parents
    n = node.saved
    if n == 0.0:  # 0 * a^-1 would be nan at a = 0: the power is constant, its slope 0
        return (g * 0.0,)
    return (g * (n * call(POWER, a.data, saved=n - 1)),)


ADD = Op("add", operator.add, _add_vjp, broadcasts=True)
SUB = Op("sub", operator.sub, _sub_vjp, broadcasts=True)
MUL = Op("mul", operator.mul, _mul_vjp, broadcasts=True)
DIV = Op("div", _truediv, _div_vjp, broadcasts=True)
NEG = Op("neg", operator.neg, _neg_vjp)
POW = Op("pow", _pow_forward, _pow_vjp, broadcasts=True)
POWER = Op("pow", _power_forward, _power_vjp)
"""`a ** n` with a Python number n: the exponent is a saved constant, not a parent."""
