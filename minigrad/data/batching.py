"""Mini-batches for an epoch, and feature standardisation with the training set's statistics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.data._common import FloatArray, check_int
from minigrad.data.rng import make_rng


def batches(
    X: ArrayLike,
    y: ArrayLike,
    batch_size: int,
    shuffle: bool = True,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    """Iterate over `(X_batch, y_batch)` mini-batches for one epoch.

    Arguments are checked when `batches` is called, not on the first `next()`. Every row
    appears in exactly one batch per epoch (except the short last batch when `drop_last`).
    Call it once per epoch; to get a different order each epoch from one reproducible stream,
    pass the same `rng` every time (a `seed` gives the same order every time).

    Args:
        X: Inputs; rows (the first axis) are samples.
        y: Targets with the same number of rows as `X`.
        batch_size: Rows per batch, at least 1; the last batch may be smaller.
        shuffle: Visit the rows in a random order; if False, in order.
        seed: Seed for the shuffling; mutually exclusive with `rng`.
        rng: A `numpy.random.Generator` for the shuffling (advanced by each call that shuffles).
        drop_last: Drop the last batch if it is smaller than `batch_size`.

    Returns:
        An iterator of `(X_batch, y_batch)` pairs; each pair is a fresh copy of the rows, with
        the dtypes of `X` and `y`.

    Raises:
        ValueError: If `batch_size < 1`, `X` and `y` have different lengths, either is a
            0-d array, or both `seed` and `rng` are given.
        TypeError: If `batch_size` is not an integer.

    Examples:
        >>> from minigrad.data import make_moons
        >>> X, y = make_moons(10, seed=0)
        >>> [len(yb) for _, yb in batches(X, y, batch_size=4, seed=0)]
        [4, 4, 2]
    """
    size = check_int("batch_size", batch_size, 1)
    X_arr = np.asarray(X)
    y_arr = np.asarray(y)
    if X_arr.ndim == 0 or y_arr.ndim == 0:
        raise ValueError("X and y must be arrays with a sample axis, not scalars")
    if len(X_arr) != len(y_arr):
        raise ValueError(f"X and y must have the same length, got {len(X_arr)} and {len(y_arr)}")
    gen = make_rng(seed, rng) if shuffle else None
    n = len(X_arr)
    order = gen.permutation(n) if gen is not None else np.arange(n)
    stop = n - n % size if drop_last else n

    def generate() -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
        for start in range(0, stop, size):
            index = order[start : start + size]
            yield X_arr[index], y_arr[index]

    return generate()


def standardize(X_train: ArrayLike, *others: ArrayLike) -> tuple[FloatArray, ...]:
    """Standardise features to zero mean and unit variance using the training set's statistics.

    Each column is shifted by the training mean and divided by the training standard deviation
    (population, `ddof=0`); a constant training column is only centred. The same transform is
    applied to every array in `others` (validation, test...), so no information leaks from them.
    Useful for the banknote features, which are unnormalised.

    Args:
        X_train: 2-D training features `(n_samples, n_features)` with at least one row.
        *others: More 2-D arrays with the same number of columns.

    Returns:
        A tuple of float64 arrays, `(X_train_std, *others_std)`, always a tuple even with no
        `others`: `Xtr, Xva = standardize(Xtr, Xva)` or `(Xs,) = standardize(X)`.

    Raises:
        ValueError: If an array is not 2-D, `X_train` is empty, or column counts differ.
    """
    train = np.asarray(X_train, dtype=np.float64)
    if train.ndim != 2:
        raise ValueError(f"X_train must be 2-D (n_samples, n_features), got shape {train.shape}")
    if train.shape[0] == 0:
        raise ValueError("X_train must have at least one row")
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0.0, std, 1.0)
    result = [(train - mean) / std]
    for i, other in enumerate(others):
        arr = np.asarray(other, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != train.shape[1]:
            raise ValueError(
                f"others[{i}] must be 2-D with {train.shape[1]} columns like X_train, "
                f"got shape {arr.shape}"
            )
        result.append((arr - mean) / std)
    return tuple(result)
