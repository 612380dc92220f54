"""Elementwise nonlinearities. Floats go through `math` (fast), arrays through numpy.

An underflow to 0 (or to a subnormal number) is the right answer for e^x and for the stable
formulas below, so under `np.errstate(under="raise")` they do not raise for it: the array path
runs as usual, and only if numpy raised is it run again with underflow ignored (no cost
otherwise). Overflow, division by zero and invalid operations still raise.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.ops.core import Grads, Op, RuleNode, call, data_of


def underflowing(f: Callable[..., Any], *args: Any) -> Any:
    """f(*args), where an underflow is the right answer: retried with underflow ignored if
    numpy raised (np.errstate(under="raise")); any other floating-point error raises again."""
    try:
        return f(*args)
    except FloatingPointError:
        with np.errstate(under="ignore"):
            return f(*args)


def _exp(x: Any) -> Any:
    if type(x) is float:
        return math.exp(x) if x < 709.78 else x + math.inf  # overflow is inf; nan stays nan
    return underflowing(np.exp, x)


def _exp_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx exp(x) = exp(x)"""
    if type(g) is float:
        return (g * node.data,)
    return (underflowing(operator.mul, g, node.data),)


def _log(x: Any) -> Any:
    if type(x) is float:  # numpy's answers, not math's exceptions: both modes agree
        return math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
    return np.log(x)


def _log_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx log(x) = 1 / x"""
    x = node.parents[0].data
    if type(x) is float and x == 0.0 and type(g) is float:  # numpy's answer, not an exception
        return (math.copysign(math.inf, g) * math.copysign(1.0, x) if g else math.nan,)
    return (g / x,)


def _tanh(x: Any) -> Any:
    return math.tanh(x) if type(x) is float else np.tanh(x)


def _tanh_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx tanh(x) = 1 - tanh(x)^2"""
    t = node.data
    return (g * (1.0 - t * t),)


def _sigmoid(x: Any) -> Any:
    # Stable on both sides: exp is only ever taken of a non-positive number.
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    return underflowing(_sigmoid_array, x)


def _sigmoid_array(x: Any) -> Any:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _sigmoid_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))"""
    s = node.data
    if type(g) is float:
        return (g * (s * (1.0 - s)),)
    return (underflowing(_times_slope, g, s),)


def _times_slope(g: Any, s: Any) -> Any:
    return g * (s * (1.0 - s))


def _softplus(x: Any) -> Any:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): the exp never overflows.
    if type(x) is float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return underflowing(np.logaddexp, 0, x).astype(x.dtype, copy=False)


def _softplus_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx log(1 + e^x) = sigmoid(x)"""
    slope = call(SIGMOID, node.parents[0].data)
    if type(g) is np.ndarray and type(slope) is np.ndarray:
        return (underflowing(operator.mul, g, slope),)
    return (g * slope,)


def _relu(x: Any) -> Any:
    if type(x) is float:
        return x if x > 0.0 or x != x else 0.0  # nan propagates, as numpy's maximum does
    return np.maximum(x, 0)


def _relu_vjp(g: Any, node: RuleNode) -> Grads:
    """d/dx relu(x) = 1 if x > 0 else 0 (0 at x = 0, as PyTorch)"""
    x = node.parents[0].data
    if type(g) is np.ndarray and type(x) is np.ndarray:  # data: the first-order pass
        return (g * (x > 0),)
    x = data_of(x)  # the mask is not differentiated
    if type(x) is float:
        return (g if x > 0.0 else 0.0 * g,)
    return (g * (x > 0).astype(x.dtype),)  # a graph node takes a number mask, not bools


EXP = Op("exp", _exp, _exp_vjp)
LOG = Op("log", _log, _log_vjp)
TANH = Op("tanh", _tanh, _tanh_vjp)
SIGMOID = Op("sigmoid", _sigmoid, _sigmoid_vjp)
RELU = Op("relu", _relu, _relu_vjp)
SOFTPLUS = Op("softplus", _softplus, _softplus_vjp)
