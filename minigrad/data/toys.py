"""Toy classification problems in 2-D and n-D: moons, circles, spirals and Gaussian blobs.

Each generator returns `(X, y)`: `X` a float64 array of shape `(n_samples, n_features)` and `y`
an int64 array of labels of shape `(n_samples,)`. Pass `seed=` for a reproducible draw or `rng=`
to draw from a stream, not both (see `minigrad.data.rng.make_rng`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from minigrad.data._common import FloatArray, IntArray, check_int, check_nonneg_float
from minigrad.data.rng import make_rng


def _finish(
    parts: list[FloatArray], shuffle: bool, gen: np.random.Generator, noise: float = 0.0
) -> tuple[FloatArray, IntArray]:
    """`(X, y)` from the points of each class (`parts[k]` has label k), in class order.

    Gaussian noise of standard deviation `noise` is added to every coordinate (if > 0), then the
    rows are shuffled together if `shuffle`; dtypes and contiguity are fixed.
    """
    X = np.vstack(parts)
    y = np.repeat(np.arange(len(parts), dtype=np.int64), [len(part) for part in parts])
    if noise > 0.0:
        X = X + gen.normal(0.0, noise, size=X.shape)
    if shuffle:
        order = gen.permutation(len(y))
        X, y = X[order], y[order]
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


def _split_counts(n_samples: int, n_parts: int) -> list[int]:
    """Split `n_samples` into `n_parts` counts that differ by at most one (larger first)."""
    base, extra = divmod(n_samples, n_parts)
    return [base + (1 if k < extra else 0) for k in range(n_parts)]


# --------------------------------------------------------------------------------------------------
# toy generators
# --------------------------------------------------------------------------------------------------


def make_moons(
    n_samples: int = 200,
    noise: float = 0.1,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
) -> tuple[FloatArray, IntArray]:
    """Two interleaving half circles in 2-D (the classic "moons" problem).

    The upper moon (class 0) is centred at the origin with radius 1; the lower moon (class 1) is
    shifted by (1, 0.5). Class 0 gets `n_samples // 2` points, class 1 the rest.

    Args:
        n_samples: Total number of points, at least 1.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0.
        seed: Seed for a fresh `numpy.random.default_rng`; mutually exclusive with `rng`.
        rng: A `numpy.random.Generator` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, all class-0 rows come first.

    Returns:
        `(X, y)`: float64 `(n_samples, 2)` points and int64 `(n_samples,)` labels in {0, 1}.

    Raises:
        ValueError: If `n_samples < 1`, `noise < 0` or both `seed` and `rng` are given.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> X, y = make_moons(100, noise=0.05, seed=0)
        >>> X.shape, y.dtype.name, int(y.sum())
        ((100, 2), 'int64', 50)
    """
    n = check_int("n_samples", n_samples, 1)
    sigma = check_nonneg_float("noise", noise)
    gen = make_rng(seed, rng)
    n_upper = n // 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n - n_upper)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    return _finish([upper, lower], shuffle, gen, noise=sigma)


def make_circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
) -> tuple[FloatArray, IntArray]:
    """A small circle (class 1) inside a large one (class 0) in 2-D.

    The outer circle has radius 1 and `n_samples // 2` points; the inner circle has radius
    `factor` and the rest.

    Args:
        n_samples: Total number of points, at least 1.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0.
        factor: Ratio of the inner radius to the outer one, strictly between 0 and 1.
        seed: Seed for a fresh `numpy.random.default_rng`; mutually exclusive with `rng`.
        rng: A `numpy.random.Generator` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, all class-0 rows come first.

    Returns:
        `(X, y)`: float64 `(n_samples, 2)` points and int64 `(n_samples,)` labels in {0, 1}.

    Raises:
        ValueError: If `n_samples < 1`, `noise < 0`, `factor` is not in (0, 1), or both
            `seed` and `rng` are given.
        TypeError: If an argument has the wrong type.
    """
    n = check_int("n_samples", n_samples, 1)
    sigma = check_nonneg_float("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise TypeError(f"factor must be a real number, got {type(factor).__name__} {factor!r}")
    fac = float(factor)
    if not 0.0 < fac < 1.0:
        raise ValueError(f"factor must be strictly between 0 and 1, got {fac}")
    gen = make_rng(seed, rng)
    n_outer = n // 2
    # endpoint=False: the first and last point of a closed circle would coincide.
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n - n_outer, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = fac * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    return _finish([outer, inner], shuffle, gen, noise=sigma)


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 2,
    noise: float = 0.05,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
) -> tuple[FloatArray, IntArray]:
    """Interleaved spiral arms in 2-D, one arm per class.

    Arm `k` runs from radius 0.1 out to radius 1 over 1.25 turns, rotated by `2*pi*k/n_classes`.
    The classes get `n_samples // n_classes` points each, the first `n_samples % n_classes`
    classes one more.

    Args:
        n_samples: Total number of points, at least 1.
        n_classes: Number of arms (classes): 2 or 3.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0. The arms
            are about `0.8 / n_classes` apart radially, so noise above ~0.1 makes them overlap.
        seed: Seed for a fresh `numpy.random.default_rng`; mutually exclusive with `rng`.
        rng: A `numpy.random.Generator` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, rows are grouped by class in label order.

    Returns:
        `(X, y)`: float64 `(n_samples, 2)` points and int64 `(n_samples,)` labels in
        `range(n_classes)`.

    Raises:
        ValueError: If `n_samples < 1`, `n_classes` is not 2 or 3, `noise < 0` or both
            `seed` and `rng` are given.
        TypeError: If an argument has the wrong type.
    """
    n = check_int("n_samples", n_samples, 1)
    k_classes = check_int("n_classes", n_classes, 0)
    if k_classes not in (2, 3):
        raise ValueError(f"n_classes must be 2 or 3, got {k_classes}")
    sigma = check_nonneg_float("noise", noise)
    gen = make_rng(seed, rng)
    turns = 1.25
    parts: list[FloatArray] = []
    for k, count in enumerate(_split_counts(n, k_classes)):
        radius = np.linspace(0.1, 1.0, count)
        angle = 2.0 * np.pi * (turns * (radius - 0.1) / 0.9 + k / k_classes)
        parts.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
    return _finish(parts, shuffle, gen, noise=sigma)


def make_blobs(
    n_samples: int = 200,
    centers: int | ArrayLike = 3,
    n_features: int = 2,
    cluster_std: float | Sequence[float] = 1.0,
    *,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
) -> tuple[FloatArray, IntArray]:
    """Isotropic Gaussian blobs, one class per blob.

    Args:
        n_samples: Total number of points, at least 1; split as evenly as possible over the
            blobs (earlier blobs get the remainder).
        centers: Either the number of blobs (at least 1), whose centres are then drawn uniformly
            from `center_box` in each coordinate, or an array of shape `(n_centers,
            n_features)` giving the centres.
        n_features: Dimension of each point, at least 1; ignored (taken from the array) when
            `centers` is an array.
        cluster_std: Standard deviation of each blob: one number for all, or one per blob; >= 0.
        center_box: `(low, high)` bounds for randomly drawn centres.
        seed: Seed for a fresh `numpy.random.default_rng`; mutually exclusive with `rng`.
        rng: A `numpy.random.Generator` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, rows are grouped by blob in label order.

    Returns:
        `(X, y)`: float64 `(n_samples, n_features)` points and int64 `(n_samples,)` labels
        in `range(n_centers)`.

    Raises:
        ValueError: On a non-positive count, a negative `cluster_std`, mismatched shapes, an
            empty `center_box`, or both `seed` and `rng`.
        TypeError: If an argument has the wrong type.
    """
    n = check_int("n_samples", n_samples, 1)
    dim = check_int("n_features", n_features, 1)
    gen = make_rng(seed, rng)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = check_int("centers", centers, 1)
        low, high = (float(v) for v in center_box)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(
                f"center_box must be finite (low, high) with low < high, got {center_box}"
            )
        center_array = gen.uniform(low, high, size=(n_centers, dim))
    else:
        center_array = np.asarray(centers, dtype=np.float64)
        if center_array.ndim != 2 or center_array.shape[0] < 1 or center_array.shape[1] < 1:
            raise ValueError(
                "centers must be an int or a non-empty 2-D array of shape (n_centers, n_features), "
                f"got shape {center_array.shape}"
            )
        if not np.all(np.isfinite(center_array)):
            raise ValueError("centers must be finite")
        n_centers, dim = center_array.shape
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim == 0:
        stds = np.full(n_centers, float(stds))
    elif stds.shape != (n_centers,):
        raise ValueError(
            f"cluster_std must be one number or one per centre ({n_centers}), "
            f"got shape {stds.shape}"
        )
    if not np.all(np.isfinite(stds) & (stds >= 0.0)):
        raise ValueError(f"cluster_std must be finite and >= 0, got {cluster_std!r}")
    parts = [
        center_array[k] + gen.normal(0.0, 1.0, size=(count, dim)) * stds[k]
        for k, count in enumerate(_split_counts(n, n_centers))
    ]
    return _finish(parts, shuffle, gen)
