"""The banknote task: the real UCI data set (shipped), a generated stand-in, the fixed split.

`load_banknote` reads the real banknote authentication data set (UCI Machine Learning
Repository, DOI 10.24432/C55P57, CC BY 4.0), which ships with the package; `make_banknote_like`
generates a 1,372-row look-alike; `banknote_split` makes the 1,096 / 276 training / validation
split the recursive-training experiments use.
"""

from __future__ import annotations

import csv
import math
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from minigrad.data._common import FloatArray, IntArray
from minigrad.data.rng import make_rng

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

BANKNOTE_ENV_VAR = "MINIGRAD_BANKNOTE"
"""Environment variable naming a banknote CSV file for `load_banknote` to read instead."""
BANKNOTE_N_TRAIN = 1096
"""Rows of the banknote training split made by `banknote_split`."""
BANKNOTE_N_VAL = 276
"""Rows of the banknote validation split made by `banknote_split`."""

_BANKNOTE_N = BANKNOTE_N_TRAIN + BANKNOTE_N_VAL  # 1,372
_BANKNOTE_CLASS_COUNTS = (762, 610)
_BANKNOTE_FEATURES = ("A", "B", "C", "D")
_BANKNOTE_LABEL = "Y"

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

    This is **generated data, not the real data set** (use `load_banknote` for that). It
    needs no file, so examples, benchmarks and tests can always run the blog's 1,372-sample task.

    How it is made: candidate points are drawn from two 4-D Gaussians with the real classes' means
    and covariances (features "variance", "skewness", "curtosis", "entropy", unnormalised) and
    redrawn if they fall outside the real features' observed ranges (about -13.8 to 17.9). Each
    point is then labelled by a fixed, slightly curved rule (a linear discriminant plus a quadratic
    bend), leaving a small margin, and the first 762 points of class 0 and 610 of class 1 are kept.
    Like the real file, the rows are ordered by class (all class 0 first), so
    `banknote_split` applies unchanged.

    The result is roughly but not perfectly linearly separable: a linear classifier gets about
    97-99% (the real data: about 98%), while a small MLP can reach 99.5-100%, because the
    true boundary is curved.

    Args:
        seed: Seed for `numpy.random.default_rng`; the default 0 gives the canonical set.
            `None` draws a fresh random set.

    Returns:
        `(X, y)`: float64 `(1372, 4)` features and int64 `(1372,)` labels, 762 zeros then
        610 ones.

    Raises:
        ValueError: If `seed` is negative.
        TypeError: If `seed` is not an integer or None.
    """
    gen = make_rng(seed, None)
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


def _default_banknote_path() -> Traversable:
    """The copy of the data set shipped inside the package: `minigrad/data/banknote.csv`."""
    return resources.files("minigrad.data") / "banknote.csv"


def _find_banknote(path: str | os.PathLike[str] | None) -> Traversable:
    """Resolve where to read the banknote CSV from, or raise FileNotFoundError."""
    candidate: Traversable
    if path is not None:
        candidate, origin = Path(path), "the path argument"
    elif os.environ.get(BANKNOTE_ENV_VAR):
        candidate, origin = Path(os.environ[BANKNOTE_ENV_VAR]), f"${BANKNOTE_ENV_VAR}"
    else:
        candidate, origin = _default_banknote_path(), "the default location, the shipped copy"
    if not candidate.is_file():
        raise FileNotFoundError(
            f"banknote data not found at {candidate} (from {origin}). Pass path=, set "
            f"{BANKNOTE_ENV_VAR} to the CSV file, or reinstall minigrad (it ships the data set); "
            "or use minigrad.data.make_banknote_like() for a generated stand-in."
        )
    return candidate


def _parse_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def load_banknote(path: str | os.PathLike[str] | None = None) -> tuple[FloatArray, IntArray]:
    """Load the real banknote authentication data set: 1,372 rows, shipped with minigrad.

    The data set comes from the UCI Machine Learning Repository (banknote authentication, DOI
    10.24432/C55P57) and is licensed under CC BY 4.0; minigrad ships it as package data
    (`minigrad/data/banknote.csv`, with a README beside it crediting the source).
    With no argument the shipped copy is read, unless the environment variable
    `MINIGRAD_BANKNOTE` names another file; `path` overrides both.

    The expected format is a header row with columns `A, B, C, D` (the four features:
    variance, skewness, curtosis and entropy of wavelet-transformed images, unnormalised) and
    `Y` (the class, 0 or 1), in any order; the original headerless UCI file (five columns,
    features then class) is accepted too. Rows keep the file's order (the shipped copy: all of
    class 0, then all of class 1).

    Args:
        path: The CSV file to read; None for the file named by `MINIGRAD_BANKNOTE`, else the
            shipped copy.

    Returns:
        `(X, y)`: float64 `(n, 4)` features and int64 `(n,)` labels (for the real data set,
        n = 1,372 with 762 of class 0 and 610 of class 1).

    Raises:
        FileNotFoundError: If the file does not exist; the message says where it looked.
        ValueError: If the file is not in the expected format.
    """
    file = _find_banknote(path)
    lines = file.read_text(encoding="utf-8").splitlines()
    rows = [row for row in csv.reader(lines) if row and any(cell.strip() for cell in row)]
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

    Reproduces the split the recursive-training blog used: `numpy.random.seed(1234)` then
    `numpy.random.choice(1372, 1372, replace=False)`, first 1,096 rows of that permutation for
    training and the remaining 276 for validation. The permutation is drawn from a private
    `numpy.random.RandomState(1234)`, which gives the same permutation without touching numpy's
    global random state. Works for `load_banknote` and `make_banknote_like` alike.

    Args:
        X: Features with 1,372 rows.
        y: Labels with 1,372 entries.

    Returns:
        `(X_train, y_train, X_val, y_val)`: float64 features and int64 labels, 1,096 and 276
        rows.

    Raises:
        ValueError: If `X` or `y` does not have exactly 1,372 rows.
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
