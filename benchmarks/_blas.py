"""Pin numpy's BLAS threads before numpy is loaded, and say what was in effect.

Imported before numpy by the benchmarks that compare GEMM-bound work across engines, so that
every engine runs on the same number of threads: `pin(n)` sets OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS unless already set (a user's own choice wins).
"""

from __future__ import annotations

import os
import sys

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_numpy_preloaded = False


def pin(threads: int) -> None:
    """Set each BLAS thread variable to `threads` unless it is set already."""
    global _numpy_preloaded
    _numpy_preloaded = "numpy" in sys.modules
    for variable in VARIABLES:
        os.environ.setdefault(variable, str(threads))


def threads() -> int:
    """The BLAS threads numpy was given (OPENBLAS_NUM_THREADS): what PyTorch should get too."""
    return int(os.environ[VARIABLES[0]])


def describe() -> str:
    """The pinned variables, for a benchmark's header (and a warning if numpy came first)."""
    pinned = ", ".join(f"{v}={os.environ[v]}" for v in VARIABLES if v in os.environ)
    if _numpy_preloaded:
        return f"numpy was imported before this script: its BLAS threads as found ({pinned})"
    return pinned
