"""Small datasets and a batching iterator for training minigrad models.

Everything here needs only numpy. All generators return ``(X, y)`` with ``X`` a float64 array
of shape ``(n_samples, n_features)`` and ``y`` an int64 array of labels of shape ``(n_samples,)``.

Randomness follows one convention throughout: pass ``seed=`` (an int, for a reproducible result) or
``rng=`` (a :class:`numpy.random.Generator`, which is advanced by the call), not both. With neither,
a fresh unseeded generator is used. The same seed always gives identical arrays.

Contents:

* Toy problems: :func:`make_moons`, :func:`make_circles`, :func:`make_spirals`, :func:`make_blobs`.
* The banknote task: :func:`make_banknote_like` (a generated stand-in that needs no file),
  :func:`load_banknote` (the real UCI data set from a CSV file) and :func:`banknote_split`
  (the fixed train/validation split the recursive-training experiments use).
* Utilities: :func:`batches` (mini-batch iterator) and :func:`standardize`.
* Optional real data sets bundled with scikit-learn: :func:`load_breast_cancer` and
  :func:`load_digits`.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BANKNOTE_ENV_VAR",
    "BANKNOTE_N_TRAIN",
    "BANKNOTE_N_VAL",
    "banknote_split",
    "batches",
    "load_banknote",
    "load_breast_cancer",
    "load_digits",
    "make_banknote_like",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "standardize",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Environment variable naming the banknote CSV file for :func:`load_banknote`.
BANKNOTE_ENV_VAR = "MINIGRAD_BANKNOTE"
#: Rows of the banknote training split made by :func:`banknote_split`.
BANKNOTE_N_TRAIN = 1096
#: Rows of the banknote validation split made by :func:`banknote_split`.
BANKNOTE_N_VAL = 276

_BANKNOTE_N = BANKNOTE_N_TRAIN + BANKNOTE_N_VAL  # 1,372
_BANKNOTE_CLASS_COUNTS = (762, 610)
_BANKNOTE_FEATURES = ("A", "B", "C", "D")
_BANKNOTE_LABEL = "Y"


# --------------------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------------------


def _check_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    result = int(value)
    if result < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {result}")
    return result


def _check_nonneg_float(name: str, value: object) -> float:
    """Return ``value`` as a float after checking it is a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    result = float(value)
    if not math.isfinite(result) or result < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {result}")
    return result


def _resolve_rng(seed: int | None, rng: np.random.Generator | None) -> np.random.Generator:
    """Turn the ``seed=`` / ``rng=`` pair into one Generator (never both)."""
    if seed is not None and rng is not None:
        raise ValueError("pass either seed= or rng=, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), "
                f"got {type(rng).__name__}"
            )
        return rng
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(_check_int("seed", seed, 0))


def _finish(
    X: FloatArray, y: IntArray, shuffle: bool, gen: np.random.Generator
) -> tuple[FloatArray, IntArray]:
    """Optionally shuffle the rows of ``(X, y)`` together; fix dtypes and contiguity."""
    if shuffle:
        order = gen.permutation(len(y))
        X, y = X[order], y[order]
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)


def _split_counts(n_samples: int, n_parts: int) -> list[int]:
    """Split ``n_samples`` into ``n_parts`` counts that differ by at most one (larger first)."""
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
    shifted by (1, 0.5). Class 0 gets ``n_samples // 2`` points, class 1 the rest.

    Args:
        n_samples: Total number of points, at least 1.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0.
        seed: Seed for a fresh ``numpy.random.default_rng``; mutually exclusive with ``rng``.
        rng: A ``numpy.random.Generator`` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, all class-0 rows come first.

    Returns:
        ``(X, y)``: float64 ``(n_samples, 2)`` points and int64 ``(n_samples,)`` labels in {0, 1}.

    Raises:
        ValueError: If ``n_samples < 1``, ``noise < 0`` or both ``seed`` and ``rng`` are given.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> X, y = make_moons(100, noise=0.05, seed=0)
        >>> X.shape, y.dtype.name, int(y.sum())
        ((100, 2), 'int64', 50)
    """
    n = _check_int("n_samples", n_samples, 1)
    sigma = _check_nonneg_float("noise", noise)
    gen = _resolve_rng(seed, rng)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    if sigma > 0.0:
        X = X + gen.normal(0.0, sigma, size=X.shape)
    return _finish(X, y, shuffle, gen)


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

    The outer circle has radius 1 and ``n_samples // 2`` points; the inner circle has radius
    ``factor`` and the rest.

    Args:
        n_samples: Total number of points, at least 1.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0.
        factor: Ratio of the inner radius to the outer one, strictly between 0 and 1.
        seed: Seed for a fresh ``numpy.random.default_rng``; mutually exclusive with ``rng``.
        rng: A ``numpy.random.Generator`` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, all class-0 rows come first.

    Returns:
        ``(X, y)``: float64 ``(n_samples, 2)`` points and int64 ``(n_samples,)`` labels in {0, 1}.

    Raises:
        ValueError: If ``n_samples < 1``, ``noise < 0``, ``factor`` is not in (0, 1), or both
            ``seed`` and ``rng`` are given.
        TypeError: If an argument has the wrong type.
    """
    n = _check_int("n_samples", n_samples, 1)
    sigma = _check_nonneg_float("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise TypeError(f"factor must be a real number, got {type(factor).__name__} {factor!r}")
    fac = float(factor)
    if not 0.0 < fac < 1.0:
        raise ValueError(f"factor must be strictly between 0 and 1, got {fac}")
    gen = _resolve_rng(seed, rng)
    n_outer = n // 2
    n_inner = n - n_outer
    # endpoint=False: the first and last point of a closed circle would coincide.
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = fac * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    X = np.vstack([outer, inner])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    if sigma > 0.0:
        X = X + gen.normal(0.0, sigma, size=X.shape)
    return _finish(X, y, shuffle, gen)


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

    Arm ``k`` runs from radius 0.1 out to radius 1 over 1.25 turns, rotated by ``2*pi*k/n_classes``.
    The classes get ``n_samples // n_classes`` points each, the first ``n_samples % n_classes``
    classes one more.

    Args:
        n_samples: Total number of points, at least 1.
        n_classes: Number of arms (classes): 2 or 3.
        noise: Standard deviation of Gaussian noise added to each coordinate, at least 0. The arms
            are about ``0.8 / n_classes`` apart radially, so noise above ~0.1 makes them overlap.
        seed: Seed for a fresh ``numpy.random.default_rng``; mutually exclusive with ``rng``.
        rng: A ``numpy.random.Generator`` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, rows are grouped by class in label order.

    Returns:
        ``(X, y)``: float64 ``(n_samples, 2)`` points and int64 ``(n_samples,)`` labels in
        ``range(n_classes)``.

    Raises:
        ValueError: If ``n_samples < 1``, ``n_classes`` is not 2 or 3, ``noise < 0`` or both
            ``seed`` and ``rng`` are given.
        TypeError: If an argument has the wrong type.
    """
    n = _check_int("n_samples", n_samples, 1)
    k_classes = _check_int("n_classes", n_classes, 0)
    if k_classes not in (2, 3):
        raise ValueError(f"n_classes must be 2 or 3, got {k_classes}")
    sigma = _check_nonneg_float("noise", noise)
    gen = _resolve_rng(seed, rng)
    turns = 1.25
    parts: list[FloatArray] = []
    labels: list[IntArray] = []
    for k, count in enumerate(_split_counts(n, k_classes)):
        radius = np.linspace(0.1, 1.0, count)
        angle = 2.0 * np.pi * (turns * (radius - 0.1) / 0.9 + k / k_classes)
        parts.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        labels.append(np.full(count, k, dtype=np.int64))
    X = np.vstack(parts)
    y = np.concatenate(labels)
    if sigma > 0.0:
        X = X + gen.normal(0.0, sigma, size=X.shape)
    return _finish(X, y, shuffle, gen)


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
            from ``center_box`` in each coordinate, or an array of shape ``(n_centers,
            n_features)`` giving the centres.
        n_features: Dimension of each point, at least 1; ignored (taken from the array) when
            ``centers`` is an array.
        cluster_std: Standard deviation of each blob: one number for all, or one per blob; >= 0.
        center_box: ``(low, high)`` bounds for randomly drawn centres.
        seed: Seed for a fresh ``numpy.random.default_rng``; mutually exclusive with ``rng``.
        rng: A ``numpy.random.Generator`` to draw from (advanced by the call).
        shuffle: Shuffle the rows; if False, rows are grouped by blob in label order.

    Returns:
        ``(X, y)``: float64 ``(n_samples, n_features)`` points and int64 ``(n_samples,)`` labels
        in ``range(n_centers)``.

    Raises:
        ValueError: On a non-positive count, a negative ``cluster_std``, mismatched shapes, an
            empty ``center_box``, or both ``seed`` and ``rng``.
        TypeError: If an argument has the wrong type.
    """
    n = _check_int("n_samples", n_samples, 1)
    dim = _check_int("n_features", n_features, 1)
    gen = _resolve_rng(seed, rng)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = _check_int("centers", centers, 1)
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
    parts: list[FloatArray] = []
    labels: list[IntArray] = []
    for k, count in enumerate(_split_counts(n, n_centers)):
        parts.append(center_array[k] + gen.normal(0.0, 1.0, size=(count, dim)) * stds[k])
        labels.append(np.full(count, k, dtype=np.int64))
    return _finish(np.vstack(parts), np.concatenate(labels), shuffle, gen)


# --------------------------------------------------------------------------------------------------
# the banknote task
# --------------------------------------------------------------------------------------------------

# Class-conditional means and covariances of the four banknote features (variance, skewness,
# curtosis, entropy of wavelet-transformed images), rounded summary statistics of the real data.
_BN_MEANS = np.array(
    [
        [2.277, 4.257, 0.797, -1.148],
        [-1.868, -0.994, 2.148, -1.247],
    ]
)
_BN_COVS = np.array(
    [
        [
            [4.078, -2.352, -2.159, 1.786],
            [-2.352, 26.407, -12.499, -7.365],
            [-2.159, -12.499, 10.497, 2.854],
            [1.786, -7.365, 2.854, 4.516],
        ],
        [
            [3.539, 0.749, -4.691, 1.262],
            [0.749, 29.213, -25.245, -5.697],
            [-4.691, -25.245, 27.687, 3.008],
            [1.262, -5.697, 3.008, 4.289],
        ],
    ]
)
# Observed range of each real feature; generated points outside it are redrawn.
_BN_LOW = np.array([-7.05, -13.8, -5.3, -8.55])
_BN_HIGH = np.array([6.85, 13.0, 17.95, 2.45])
# The labelling rule works on standardised features z = (x - centre) / scale: a linear score
# (the real data's least-squares discriminant, which alone classifies it at ~97.7%) plus a
# quadratic bend along a direction orthogonal to it, so the best boundary is curved.
_BN_CENTER = np.array([0.434, 1.922, 1.398, -1.192])
_BN_SCALE = np.array([2.842, 5.867, 4.308, 2.1])
_BN_W = np.array([-0.81, -0.919, -0.876, -0.003])
_BN_B = -0.111
_BN_BEND_DIR = np.array([-0.414, 0.792, -0.448, -0.002])
_BN_BEND = 0.3
_BN_MARGIN = 0.05
_BN_DRAW = 1000  # candidate points drawn per class per round


def make_banknote_like(seed: int | None = 0) -> tuple[FloatArray, IntArray]:
    """A generated 1,372 x 4 two-class data set resembling the banknote authentication data.

    This is **generated data, not the real data set** (use :func:`load_banknote` for that). It
    needs no file, so examples, benchmarks and tests can always run the blog's 1,372-sample task.

    How it is made: candidate points are drawn from two 4-D Gaussians with the real classes' means
    and covariances (features "variance", "skewness", "curtosis", "entropy", unnormalised) and
    redrawn if they fall outside the real features' observed ranges (about -13.8 to 17.9). Each
    point is then labelled by a fixed, slightly curved rule (a linear discriminant plus a quadratic
    bend), leaving a small margin, and the first 762 points of class 0 and 610 of class 1 are kept.
    Like the real file, the rows are ordered by class (all class 0 first), so
    :func:`banknote_split` applies unchanged.

    The result is roughly but not perfectly linearly separable: a linear classifier gets about
    97-99% (the real data: about 98%), while a small MLP can reach 99.5-100%, because the
    true boundary is curved.

    Args:
        seed: Seed for ``numpy.random.default_rng``; the default 0 gives the canonical set.
            ``None`` draws a fresh random set.

    Returns:
        ``(X, y)``: float64 ``(1372, 4)`` features and int64 ``(1372,)`` labels, 762 zeros then
        610 ones.

    Raises:
        ValueError: If ``seed`` is negative.
        TypeError: If ``seed`` is not an integer or None.
    """
    gen = _resolve_rng(seed, None)
    # Cholesky factors (unique, unlike an SVD) keep the draws identical across LAPACK builds.
    factors = [np.linalg.cholesky(cov) for cov in _BN_COVS]
    kept: list[list[FloatArray]] = [[], []]
    have = [0, 0]
    while have[0] < _BANKNOTE_CLASS_COUNTS[0] or have[1] < _BANKNOTE_CLASS_COUNTS[1]:
        candidates = np.vstack(
            [_BN_MEANS[c] + gen.standard_normal((_BN_DRAW, 4)) @ factors[c].T for c in range(2)]
        )
        z = (candidates - _BN_CENTER) / _BN_SCALE
        score = z @ _BN_W + _BN_B + _BN_BEND * ((z @ _BN_BEND_DIR) ** 2 - 1.0)
        in_range = np.all((candidates >= _BN_LOW) & (candidates <= _BN_HIGH), axis=1)
        for cls, accept in ((0, score < -_BN_MARGIN), (1, score > _BN_MARGIN)):
            chosen = candidates[accept & in_range]
            kept[cls].append(chosen)
            have[cls] += len(chosen)
    X = np.vstack([np.vstack(kept[c])[: _BANKNOTE_CLASS_COUNTS[c]] for c in range(2)])
    y = np.repeat(np.arange(2, dtype=np.int64), _BANKNOTE_CLASS_COUNTS)
    return np.ascontiguousarray(X, dtype=np.float64), y


def _default_banknote_path() -> Path:
    """``../shared/data/banknote.csv`` relative to the repository root (the package's parent)."""
    repo_root = Path(__file__).resolve().parent.parent
    return repo_root.parent / "shared" / "data" / "banknote.csv"


def _find_banknote(path: str | os.PathLike[str] | None) -> Path:
    """Resolve where to read the banknote CSV from, or raise FileNotFoundError."""
    if path is not None:
        candidate, origin = Path(path), "the path argument"
    elif os.environ.get(BANKNOTE_ENV_VAR):
        candidate, origin = Path(os.environ[BANKNOTE_ENV_VAR]), f"${BANKNOTE_ENV_VAR}"
    else:
        candidate, origin = _default_banknote_path(), "the default location"
    if not candidate.is_file():
        raise FileNotFoundError(
            f"banknote data not found at {candidate} (from {origin}). Pass path=, set "
            f"{BANKNOTE_ENV_VAR} to the CSV file, or place it at ../shared/data/banknote.csv "
            "beside the repository; or use minigrad.data.make_banknote_like() for a generated "
            "stand-in."
        )
    return candidate


def _parse_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_banknote(path: str | os.PathLike[str] | None = None) -> tuple[FloatArray, IntArray]:
    """Load the real banknote authentication data set (UCI, DOI 10.24432/C55P57) from CSV.

    The file is looked for at ``path`` if given, else at the file named by the environment
    variable ``MINIGRAD_BANKNOTE``, else at ``../shared/data/banknote.csv`` relative to the
    repository root. The data set is not part of the package; callers that must always run
    should catch ``FileNotFoundError`` and fall back to :func:`make_banknote_like`.

    The expected format is a header row with columns ``A, B, C, D`` (the four features:
    variance, skewness, curtosis and entropy of wavelet-transformed images, unnormalised) and
    ``Y`` (the class, 0 or 1), in any order; the original headerless UCI file (five columns,
    features then class) is accepted too. Rows keep the file's order.

    Args:
        path: The CSV file to read; None to use the environment variable or default location.

    Returns:
        ``(X, y)``: float64 ``(n, 4)`` features and int64 ``(n,)`` labels (for the real file,
        n = 1,372 with 762 of class 0 and 610 of class 1).

    Raises:
        FileNotFoundError: If the file does not exist; the message says where it looked.
        ValueError: If the file is not in the expected format.
    """
    file = _find_banknote(path)
    with file.open(newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError(f"{file}: empty banknote file")
    header = [cell.strip() for cell in rows[0]]
    if all(_parse_float(cell) is not None for cell in header):
        # The headerless UCI layout: four features, then the class.
        if len(header) != 5:
            raise ValueError(
                f"{file}: a headerless banknote file needs 5 columns, got {len(header)}"
            )
        columns = [0, 1, 2, 3, 4]
        body = rows
    else:
        upper = [cell.upper() for cell in header]
        missing = [n for n in (*_BANKNOTE_FEATURES, _BANKNOTE_LABEL) if n not in upper]
        if missing:
            raise ValueError(
                f"{file}: header {header} lacks column(s) {missing}; expected A, B, C, D and Y"
            )
        columns = [upper.index(n) for n in (*_BANKNOTE_FEATURES, _BANKNOTE_LABEL)]
        body = rows[1:]
    if not body:
        raise ValueError(f"{file}: no data rows")
    width = max(columns) + 1
    values = np.empty((len(body), 5), dtype=np.float64)
    for i, row in enumerate(body):
        if len(row) < width:
            raise ValueError(f"{file}: data row {i + 1} has {len(row)} columns, expected {width}")
        for j, col in enumerate(columns):
            parsed = _parse_float(row[col])
            if parsed is None or not math.isfinite(parsed):
                raise ValueError(f"{file}: data row {i + 1} has a non-numeric value {row[col]!r}")
            values[i, j] = parsed
    labels = values[:, 4]
    if not np.all((labels == 0.0) | (labels == 1.0)):
        bad = labels[(labels != 0.0) & (labels != 1.0)][0]
        raise ValueError(f"{file}: class labels must be 0 or 1, found {bad}")
    X = np.ascontiguousarray(values[:, :4])
    y = labels.astype(np.int64)
    return X, y


def banknote_split(X: ArrayLike, y: ArrayLike) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """Split the 1,372 banknote rows into the fixed 1,096 training and 276 validation rows.

    Reproduces the split the recursive-training blog used: ``numpy.random.seed(1234)`` then
    ``numpy.random.choice(1372, 1372, replace=False)``, first 1,096 rows of that permutation for
    training and the remaining 276 for validation. The permutation is drawn from a private
    ``numpy.random.RandomState(1234)``, which gives the same permutation without touching numpy's
    global random state. Works for :func:`load_banknote` and :func:`make_banknote_like` alike.

    Args:
        X: Features with 1,372 rows.
        y: Labels with 1,372 entries.

    Returns:
        ``(X_train, y_train, X_val, y_val)``: float64 features and int64 labels, 1,096 and 276
        rows.

    Raises:
        ValueError: If ``X`` or ``y`` does not have exactly 1,372 rows.
    """
    X_arr = np.asarray(X, dtype=np.float64)
    y_arr = np.asarray(y)
    if X_arr.ndim < 1 or len(X_arr) != _BANKNOTE_N or y_arr.ndim < 1 or len(y_arr) != _BANKNOTE_N:
        raise ValueError(
            f"banknote_split needs exactly {_BANKNOTE_N} rows in X and y, got "
            f"{X_arr.shape[0] if X_arr.ndim else 0} and {y_arr.shape[0] if y_arr.ndim else 0}"
        )
    y_int = y_arr.astype(np.int64)
    order = np.random.RandomState(1234).choice(_BANKNOTE_N, _BANKNOTE_N, replace=False)
    train, val = order[:BANKNOTE_N_TRAIN], order[BANKNOTE_N_TRAIN:]
    return X_arr[train], y_int[train], X_arr[val], y_int[val]


# --------------------------------------------------------------------------------------------------
# utilities
# --------------------------------------------------------------------------------------------------


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
    """Iterate over ``(X_batch, y_batch)`` mini-batches for one epoch.

    Arguments are checked when ``batches`` is called, not on the first ``next()``. Every row
    appears in exactly one batch per epoch (except the short last batch when ``drop_last``).
    Call it once per epoch; to get a different order each epoch from one reproducible stream,
    pass the same ``rng`` every time (a ``seed`` gives the same order every time).

    Args:
        X: Inputs; rows (the first axis) are samples.
        y: Targets with the same number of rows as ``X``.
        batch_size: Rows per batch, at least 1; the last batch may be smaller.
        shuffle: Visit the rows in a random order; if False, in order.
        seed: Seed for the shuffling; mutually exclusive with ``rng``.
        rng: A ``numpy.random.Generator`` for the shuffling (advanced by each call that shuffles).
        drop_last: Drop the last batch if it is smaller than ``batch_size``.

    Returns:
        An iterator of ``(X_batch, y_batch)`` pairs; each pair is a fresh copy of the rows, with
        the dtypes of ``X`` and ``y``.

    Raises:
        ValueError: If ``batch_size < 1``, ``X`` and ``y`` have different lengths, either is a
            0-d array, or both ``seed`` and ``rng`` are given.
        TypeError: If ``batch_size`` is not an integer.

    Examples:
        >>> X, y = make_moons(10, seed=0)
        >>> [len(yb) for _, yb in batches(X, y, batch_size=4, seed=0)]
        [4, 4, 2]
    """
    size = _check_int("batch_size", batch_size, 1)
    X_arr = np.asarray(X)
    y_arr = np.asarray(y)
    if X_arr.ndim == 0 or y_arr.ndim == 0:
        raise ValueError("X and y must be arrays with a sample axis, not scalars")
    if len(X_arr) != len(y_arr):
        raise ValueError(f"X and y must have the same length, got {len(X_arr)} and {len(y_arr)}")
    gen = _resolve_rng(seed, rng) if shuffle else None
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
    (population, ``ddof=0``); a constant training column is only centred. The same transform is
    applied to every array in ``others`` (validation, test...), so no information leaks from them.
    Useful for the banknote features, which are unnormalised.

    Args:
        X_train: 2-D training features ``(n_samples, n_features)`` with at least one row.
        *others: More 2-D arrays with the same number of columns.

    Returns:
        A tuple of float64 arrays, ``(X_train_std, *others_std)``, always a tuple even with no
        ``others``: ``Xtr, Xva = standardize(Xtr, Xva)`` or ``(Xs,) = standardize(X)``.

    Raises:
        ValueError: If an array is not 2-D, ``X_train`` is empty, or column counts differ.
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


# --------------------------------------------------------------------------------------------------
# optional: scikit-learn's bundled real data sets
# --------------------------------------------------------------------------------------------------


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise ImportError(
            "this loader needs scikit-learn, which is not installed; "
            "install it with `pip install scikit-learn`"
        ) from exc
    return datasets


def load_breast_cancer() -> tuple[FloatArray, IntArray]:
    """The Wisconsin breast cancer data set bundled with scikit-learn (no download).

    Returns:
        ``(X, y)``: float64 ``(569, 30)`` unnormalised features and int64 ``(569,)`` labels
        (0 = malignant, 1 = benign).

    Raises:
        ImportError: If scikit-learn is not installed (``pip install scikit-learn``).
    """
    bunch = _sklearn_datasets().load_breast_cancer()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load_digits() -> tuple[FloatArray, IntArray]:
    """The 8x8 handwritten digits data set bundled with scikit-learn (no download).

    Returns:
        ``(X, y)``: float64 ``(1797, 64)`` pixel intensities in 0..16 and int64 ``(1797,)``
        labels in 0..9.

    Raises:
        ImportError: If scikit-learn is not installed (``pip install scikit-learn``).
    """
    bunch = _sklearn_datasets().load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)
