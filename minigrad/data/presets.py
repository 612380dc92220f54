"""The data sets the command line trains on, by name, at the size and noise it uses."""

from __future__ import annotations

from minigrad.data._common import FloatArray, IntArray
from minigrad.data.banknote import load_banknote, make_banknote_like
from minigrad.data.batching import standardize
from minigrad.data.scikit_learn import load_digits
from minigrad.data.toys import make_circles, make_moons, make_spirals

DATASETS = ("moons", "circles", "spirals", "banknote", "banknote-like", "digits")
"""The names `load_preset` knows, in the order the command line lists them."""


def load_preset(name: str, seed: int) -> tuple[FloatArray, IntArray]:
    """One of the `DATASETS` as `(X, y)`, drawn with `seed` where it is generated.

    Args:
        name: A name from `DATASETS`; `"banknote"` is the real data set shipped with minigrad
            (`load_banknote`), `"banknote-like"` a generated stand-in of the same shape;
            `"digits"` needs scikit-learn and scales pixels to [0, 1].
        seed: The seed of the generated sets (the digits are fixed).

    Returns:
        `(X, y)`: float64 features and int64 labels; both banknote sets' features standardised.

    Raises:
        ImportError: For `"digits"` without scikit-learn.
        FileNotFoundError: For `"banknote"` when `MINIGRAD_BANKNOTE` names a missing file.
    """
    if name == "moons":
        return make_moons(400, noise=0.15, seed=seed)
    if name == "circles":
        return make_circles(400, noise=0.08, seed=seed)
    if name == "spirals":
        return make_spirals(450, n_classes=3, noise=0.1, seed=seed)
    if name in ("banknote", "banknote-like"):
        X, y = load_banknote() if name == "banknote" else make_banknote_like(seed=seed)
        (X,) = standardize(X)
        return X, y
    X, y = load_digits()
    return X / 16.0, y
