"""Plain-text tables and number formatting shared by the command line and the benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.errors import CycleError, GraphTooDeepError, PathExplosionError


def fmt_number(x: Any) -> str:
    """Integers with thousands separators, floats with 4 significant digits, the rest as str."""
    if isinstance(x, bool) or x is None:
        return "-" if x is None else str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x != x:
            return "nan"
        return f"{x:.3e}" if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6) else f"{x:.4g}"
    return str(x)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 vjp call', '2 vjp calls', '1,000 visits': the count with its noun in the right number."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


PLACEHOLDERS = ("-", "", "not run", "not traced")


def _right_aligned(x: Any) -> bool:
    """Numbers, quantities such as "3 KiB" or "1.2x", and placeholders line up on the right."""
    if isinstance(x, bool):
        return False
    if isinstance(x, int | float):
        return True
    text = str(x)
    return text in PLACEHOLDERS or text[:1].isdigit()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table: text columns left-aligned, number columns right-aligned."""
    cells = [[fmt_number(c) for c in row] for row in rows]
    numeric = [
        all(_right_aligned(row[i]) for row in rows if i < len(row)) for i in range(len(headers))
    ]
    widths = [
        max([len(h)] + [len(r[i]) for r in cells if i < len(r)]) for i, h in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if numeric[i] else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=False))
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def summarize_error(error: BaseException, limit: int | None = None) -> str:
    """A one-line summary of why a strategy refused or failed, for a table cell."""
    if isinstance(error, PathExplosionError):
        return f"refused: {error.predicted_calls:,} calls predicted (cap {error.cap:,})"
    if isinstance(error, GraphTooDeepError):
        return f"GraphTooDeepError at depth {error.depth:,} ({error.nodes:,} nodes)"
    if isinstance(error, CycleError):
        return f"CycleError: {len(error.nodes)} nodes on a cycle"
    text = f"{type(error).__name__}: {error}"
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
