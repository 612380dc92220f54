"""HIPS autograd's op tests, rewritten against minigrad: tests/test_numpy.py of HIPS/autograd at
commit bff107b8d71a444a1160deade3e1cbd0b92f4fa6.

Each upstream case that minigrad can express is one `Port` here: the same function, inputs of
the same shapes, written once against a numpy namespace. minigrad runs it with plain `numpy`
on Values (numpy's functions dispatch to minigrad's, NEP 13 and 18); autograd runs it with
`autograd.numpy`. Upstream spellings that minigrad has no op for are rewritten with the ops it
has (noted on the case): `np.array([x, y])` as `np.stack`, `np.r_`/`np.c_` and `np.append` as
`np.concatenate`, `np.flipud`/`fliplr`/`rot90`/`roll`/`repeat` as indexing, `np.triu`/`tril`/
`trace` as a product with a constant mask, `np.diag` as fancy indexing, `np.tensordot` as
`np.einsum`. Left out: `len` (not an op).

Every case is checked under every strategy against central differences (`gradcheck`) and
against autograd's own gradient, of the output weighted by fixed uneven weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad

import minigrad as mg
from minigrad.testing import gradcheck

STRATEGIES = ("naive", "memoized", "cycle_checked", "topological", "tape")
RNG = np.random.default_rng(1)


def randn(*shape: int) -> Any:
    return float(RNG.standard_normal()) if not shape else RNG.standard_normal(shape)


@dataclass(frozen=True)
class Port:
    """One upstream case: `fn(numpy_namespace, *inputs)`."""

    name: str
    fn: Callable[..., Any]
    inputs: tuple[Any, ...]

    def __str__(self) -> str:
        return self.name


def cases() -> list[Port]:
    mat1, mat2 = randn(10, 11), randn(10, 11)
    vect1, vect2, vect3 = randn(10), randn(11), randn(11)
    float1 = randn()
    a564 = randn(5, 6, 4)
    c32 = randn(3, 2)
    mask = randn(4, 5) > 0
    ports = [
        Port("dot-mat-vect", lambda np, x, y: np.dot(x, y), (mat1, vect2)),
        Port("dot-mat-mat", lambda np, x, y: np.dot(x, y), (mat1, mat2.T)),
        Port("dot-vect-mat", lambda np, x, y: np.dot(x, y), (vect1, mat1)),
        Port("dot-vect-vect", lambda np, x, y: np.dot(x, y), (vect2, vect3)),
        Port("dot-with-floats-mat-float", lambda np, x, y: np.dot(x, y), (mat1, float1)),
        Port("dot-with-floats-float-mat", lambda np, x, y: np.dot(x, y), (float1, mat1)),
        Port("dot-with-floats-vect-float", lambda np, x, y: np.dot(x, y), (vect1, float1)),
        Port("dot-with-floats-float-vect", lambda np, x, y: np.dot(x, y), (float1, vect1)),
        Port("outer", lambda np, x, y: np.outer(x, y), (vect2, vect3)),
        Port("max", lambda np, x: np.max(x), (randn(10, 11),)),
        Port("max-axis", lambda np, x: np.max(x, axis=1), (randn(3, 4, 5),)),
        Port(
            "max-axis-keepdims", lambda np, x: np.max(x, axis=1, keepdims=True), (randn(3, 4, 5),)
        ),
        Port("min", lambda np, x: np.min(x), (randn(10, 11),)),
        Port("min-axis", lambda np, x: np.min(x, axis=1), (randn(3, 4, 5),)),
        Port(
            "min-axis-keepdims", lambda np, x: np.min(x, axis=1, keepdims=True), (randn(3, 4, 5),)
        ),
        Port("sum-1", lambda np, x: np.sum(x), (randn(10, 11),)),
        Port("sum-2", lambda np, x: np.sum(x, axis=0), (randn(10, 11),)),
        Port("sum-3", lambda np, x: np.sum(x, axis=0, keepdims=True), (randn(10, 11),)),
        Port("sum-with-axis-tuple", lambda np, x: np.sum(x, axis=(1, 2)), (randn(10, 11, 7),)),
        Port("flipud (as x[::-1])", lambda np, x: x[::-1], (randn(10, 11),)),
        Port("fliplr (as x[:, ::-1])", lambda np, x: x[:, ::-1], (randn(10, 11),)),
        Port("rot90 (as x[:, ::-1].T)", lambda np, x: x[:, ::-1].T, (randn(10, 11),)),
        Port("cumsum-axis0", lambda np, x: np.cumsum(x, axis=0), (randn(10, 11),)),
        Port("cumsum-axis1", lambda np, x: np.cumsum(x, axis=1), (randn(10, 11),)),
        Port("cumsum-1d", lambda np, x: np.cumsum(x), (randn(10),)),
        Port("cumsum-no-axis", lambda np, x: np.cumsum(x), (randn(10, 11),)),
        Port("non-numpy-sum", lambda np, x, y: sum([x, y]), (randn(10, 11), randn(10, 11))),
        Port("mean-1", lambda np, x: np.mean(x), (randn(10, 11),)),
        Port("mean-2", lambda np, x: np.mean(x, axis=0), (randn(10, 11),)),
        Port("mean-3", lambda np, x: np.mean(x, axis=0, keepdims=True), (randn(10, 11),)),
        Port("mean-list-of-boxes", lambda np, x: np.mean(np.stack([x, x + 2])), (0.0,)),
        Port("std-list-of-boxes", lambda np, x: np.std(np.stack([x, x + 2])), (0.0,)),
        Port("var-list-of-boxes", lambda np, x: np.var(np.stack([x, x + 2])), (0.0,)),
        Port("index-ints", lambda np, x: x[3, 0, 1], (a564,)),
        Port("index-slice", lambda np, x: x[::-1, 2:4, :], (a564,)),
        Port("index-lists", lambda np, x: x[[0, 1, 2], :, :], (a564,)),
        Port("index-mixed", lambda np, x: x[3, 2:, [1, 3]], (a564,)),
        Port("vector-slice", lambda np, x: x[2:4], (randn(5),)),
        Port("index-slice-fanout", lambda np, x: x[::-1, 2:4, :] + x[::-1, 3:5, :], (a564,)),
        Port("index-multiple-slices", lambda np, x: x[2:6][1:3], (randn(7),)),
        Port("reshape-method", lambda np, x: x.reshape((5 * 4, 6)), (a564,)),
        Port("reshape-call", lambda np, x: np.reshape(x, (5 * 4, 6)), (a564,)),
        Port("reshape-method-nolist", lambda np, x: x.reshape(5 * 4, 6), (a564,)),
        Port("ravel-method", lambda np, x: x.ravel(), (a564,)),
        Port("ravel-call", lambda np, x: np.ravel(x), (a564,)),
        Port("flatten-method", lambda np, x: x.flatten(), (a564,)),
        Port(
            "simple-append-arr (as concatenate)",
            lambda np, x, y: np.concatenate([np.ravel(x), np.ravel(y)]),
            (np.array([1.0, 2.0, 3.0]), np.array([4.0])),
        ),
        Port(
            "simple-append-list-2D (as concatenate)",
            lambda np, x, y: np.concatenate([x, y], axis=0),
            (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), np.array([[7.0, 8.0, 9.0]])),
        ),
        Port("simple-concatenate", lambda np, x: np.concatenate((a564, x)), (randn(4, 6, 4),)),
        Port(
            "concatenate-axis-0", lambda np, x: np.concatenate((a564, x, a564)), (randn(5, 6, 4),)
        ),
        Port(
            "concatenate-axis-1",
            lambda np, x: np.concatenate((a564, x, a564), axis=1),
            (randn(5, 6, 4),),
        ),
        Port(
            "concatenate-axis-1-unnamed",
            lambda np, x: np.concatenate((a564, x, a564), 1),
            (randn(5, 6, 4),),
        ),
        Port("trace (as a masked sum)", lambda np, x: np.sum(x * np.eye(10, 11, k=3)), (mat1,)),
        Port("trace2 (as a masked sum)", lambda np, x: np.sum(x * np.eye(11, 10, k=-4)), (mat1.T,)),
        Port(
            "diag (as fancy indexing)",
            lambda np, x: x[np.arange(10), np.arange(10)],
            (randn(10, 10),),
        ),
        Port("transpose", lambda np, x: x.T, (randn(8, 8),)),
        Port(
            "roll (as concatenate)",
            lambda np, x: np.concatenate([x[:, -2:], x[:, :-2]], axis=1),
            (randn(4, 5),),
        ),
        Port("triu (as a mask)", lambda np, x: x * np.triu(np.ones((5, 5)), k=2), (randn(5, 5),)),
        Port("tril (as a mask)", lambda np, x: x * np.tril(np.ones((5, 5)), k=2), (randn(5, 5),)),
        Port("clip", lambda np, x: np.clip(x, a_min=0.1, a_max=1.1), (randn(5, 5),)),
        Port("prod-1", lambda np, x: np.prod(x), (randn(2, 3) ** 2 / 10.0 + 0.1,)),
        Port("prod-2", lambda np, x: np.prod(x, axis=0), (randn(2, 3) ** 2 + 0.1,)),
        Port("prod-3", lambda np, x: np.prod(x, axis=0, keepdims=True), (randn(2, 3) ** 2 + 0.1,)),
        Port("prod-4", lambda np, x: np.prod(x), (randn(7) ** 2 + 0.1,)),
        Port("1d-array (as stack)", lambda np, x: np.stack([x, x * 1.0, x + 2.5]), (3.0,)),
        Port(
            "2d-array (as stack)",
            lambda np, x: np.stack([np.stack([x, x * 1.0, x + 2.5]), np.stack([x**2, x, x / 2.0])]),
            (3.0,),
        ),
        Port(
            "1d-array-fanout (as stack)",
            lambda np, x: np.stack([x, x * 1.0, x + 2.5]) + np.stack([x, x * 1.0, x + 2.5]),
            (3.0,),
        ),
        Port("array-from-arrays (as stack)", lambda np, x: np.stack([x, x]), (c32,)),
        Port(
            "array-from-arrays-2 (as stack)",
            lambda np, x: np.stack([np.stack([2 * x, x + 1]), np.stack([x, x])]),
            (c32,),
        ),
        Port("r-basic (as concatenate)", lambda np, x: np.concatenate([x]), (c32,)),
        Port("r-double (as concatenate)", lambda np, x: np.concatenate([x, x]), (c32,)),
        Port("r-node-and-const (as concatenate)", lambda np, x: np.concatenate([x, c32]), (c32,)),
        Port("r-mixed (as concatenate)", lambda np, x: np.concatenate([x, c32, x]), (c32,)),
        Port(
            "c-mixed (as concatenate)",
            lambda np, x: np.concatenate([x, c32, x], axis=1),
            (c32,),
        ),
        Port("where", lambda np, x, y: np.where(mask, x, y), (randn(4, 5), randn(4, 5))),
        Port("squeeze-func", lambda np, x: np.squeeze(x), (randn(5, 1, 4),)),
        Port("squeeze-method", lambda np, x: x.squeeze(), (randn(5, 1, 4),)),
        Port(
            "repeat (as fancy indexing)",
            lambda np, x: x[:, [0, 0, 1, 1, 2, 2]],
            (randn(5, 3, 4),),
        ),
        Port("expand-dims", lambda np, x: np.expand_dims(x, 2), (randn(5, 1, 4),)),
        Port(
            "tensordot-kwargs-by-position (as einsum)",
            lambda np, x: np.einsum("ij,ij->", x * np.ones((2, 2)), x * np.ones((2, 2))),
            (1.0,),
        ),
        Port("multi-index", lambda np, x: np.sum(x[[0, 0]]), (randn(3),)),
        Port("multi-index2", lambda np, x: np.sum(x[[0, 1, 0]]), (randn(3),)),
        Port("index-dot-slices", lambda np, x: np.dot(x[:2], x[2:]), (randn(4),)),
    ]
    # test_var_ddof and test_std_ddof: upstream's combo_check over the same grid
    b, c, d = randn(3), randn(3, 4), randn(1, 3)
    for fname in ("var", "std"):
        grid = [(x, None, k, ddof) for x in (b, c, d) for k in (True, False) for ddof in (0, 1)]
        grid += [(x, axis, k, 2) for x in (c, d) for axis in (None, 1) for k in (True, False)]
        for x, axis, keepdims, ddof in grid:
            ports.append(
                Port(
                    f"{fname}-ddof{ddof}-{x.shape}-axis{axis}-keepdims{keepdims}",
                    lambda np, v, f=fname, a=axis, k=keepdims, dd=ddof: getattr(np, f)(
                        v, axis=a, ddof=dd, keepdims=k
                    ),
                    (x,),
                )
            )
    return ports


CASES = cases()


def weights_like(shape: tuple[int, ...]) -> Any:
    """Fixed, uneven weights for an output of `shape` (1 for a single number)."""
    size = int(np.prod(shape))
    return (np.cos(np.arange(size) * 1.3 + 0.4) + 1.5).reshape(shape)


def minigrad_loss(port: Port) -> Callable[..., mg.Value]:
    def loss(*xs: mg.Value) -> mg.Value:
        out = port.fn(np, *xs)
        weighted: mg.Value = out * weights_like(out.shape)
        return weighted if weighted.ndim == 0 else weighted.sum()

    return loss


def autograd_grads(port: Port) -> list[Any]:
    def loss(*xs: Any) -> Any:
        out = port.fn(anp, *xs)
        return anp.sum(out * weights_like(anp.shape(out)))

    return [ag_grad(loss, argnum=i)(*port.inputs) for i in range(len(port.inputs))]


def test_every_case_has_a_unique_name() -> None:
    assert len({port.name for port in CASES}) == len(CASES)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("port", CASES, ids=str)
def test_port_matches_central_differences_and_autograd(port: Port, strategy: str) -> None:
    loss = minigrad_loss(port)
    xs = [mg.Value(x) for x in port.inputs]
    assert gradcheck(loss, *xs, strategy=strategy, rtol=1e-5, atol=1e-7)
    loss(*xs).backward(strategy=strategy)
    for x, want in zip(xs, autograd_grads(port), strict=True):
        np.testing.assert_allclose(x.grad, want, rtol=1e-12, atol=1e-14)
        assert type(x.grad) is type(x.data) or isinstance(x.grad, np.ndarray)
