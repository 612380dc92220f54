"""The package's one `seed=` / `rng=` convention, used by the data generators and the layers."""

from __future__ import annotations

import numpy as np

from minigrad.data._common import check_int


def make_rng(
    seed: int | None = None, rng: np.random.Generator | None = None
) -> np.random.Generator:
    """The generator to draw from: `rng` itself, or a new one seeded with `seed`.

    Pass `seed` for a reproducible result or `rng` to draw from a stream (the generator is
    advanced by whoever draws from it), not both. With neither, the generator is fresh and
    unseeded. The same seed always gives the same draws.

    Args:
        seed: A seed >= 0 for a new `numpy.random.default_rng`; None for an unseeded one.
        rng: A `numpy.random.Generator` to return as it is.

    Returns:
        `rng` if it is given, else `numpy.random.default_rng(seed)`.

    Raises:
        ValueError: If both `seed` and `rng` are given, or `seed` is negative.
        TypeError: If `seed` is not an integer or `rng` is not a `numpy.random.Generator`.
    """
    if seed is not None and rng is not None:
        raise ValueError("pass seed= or rng=, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), "
                f"got {type(rng).__name__}"
            )
        return rng
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(check_int("seed", seed, 0))
