"""Real data sets bundled with scikit-learn (an optional dependency): breast cancer and digits."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.data._common import FloatArray, IntArray


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
        `(X, y)`: float64 `(569, 30)` unnormalised features and int64 `(569,)` labels
        (0 = malignant, 1 = benign).

    Raises:
        ImportError: If scikit-learn is not installed (`pip install scikit-learn`).
    """
    bunch = _sklearn_datasets().load_breast_cancer()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def load_digits() -> tuple[FloatArray, IntArray]:
    """The 8x8 handwritten digits data set bundled with scikit-learn (no download).

    Returns:
        `(X, y)`: float64 `(1797, 64)` pixel intensities in 0..16 and int64 `(1797,)`
        labels in 0..9.

    Raises:
        ImportError: If scikit-learn is not installed (`pip install scikit-learn`).
    """
    bunch = _sklearn_datasets().load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)
