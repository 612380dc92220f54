"""Small data sets and a batching iterator for training minigrad models; numpy only.

All generators and loaders return `(X, y)` with `X` a float64 array of shape
`(n_samples, n_features)` and `y` an int64 array of labels of shape `(n_samples,)`.

Randomness follows one convention throughout (`minigrad.data.rng.make_rng`, which the layers use
too): pass `seed=` (an int, for a reproducible result) or `rng=` (a `numpy.random.Generator`,
which is advanced by the call), not both. With neither, a fresh unseeded generator is used. The
same seed always gives identical arrays.

Contents, by module:

- `toys`: `make_moons`, `make_circles`, `make_spirals`, `make_blobs`.
- `banknote`: `load_banknote` (the real UCI banknote authentication data set, shipped with the
  package, CC BY 4.0), `make_banknote_like` (a generated stand-in) and `banknote_split` (the
  fixed train/validation split the recursive-training experiments use).
- `batching`: `batches` (a mini-batch iterator) and `standardize`.
- `scikit_learn`: `load_breast_cancer` and `load_digits`, bundled with scikit-learn (optional).
- `presets`: the data sets the command line trains on, by name.
"""

from minigrad.data.banknote import (
    BANKNOTE_ENV_VAR,
    BANKNOTE_N_TRAIN,
    BANKNOTE_N_VAL,
    banknote_split,
    load_banknote,
    make_banknote_like,
)
from minigrad.data.batching import batches, standardize
from minigrad.data.scikit_learn import load_breast_cancer, load_digits
from minigrad.data.toys import make_blobs, make_circles, make_moons, make_spirals

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
