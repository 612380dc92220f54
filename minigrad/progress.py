"""Progress bars for `fit` and the command line: tqdm on stderr, and only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar, cast

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Bar(Protocol[T_co]):
    """What `progress` returns: an iterable with tqdm's `set_postfix` and `close`."""

    def __iter__(self) -> Iterator[T_co]: ...

    def set_postfix(self, **values: Any) -> None: ...

    def close(self) -> None: ...


class _Plain(Generic[T]):
    """No bar: iterates as the wrapped iterable does; `set_postfix` and `close` do nothing."""

    def __init__(self, iterable: Iterable[T]) -> None:
        self._iterable = iterable

    def __iter__(self) -> Iterator[T]:
        return iter(self._iterable)

    def set_postfix(self, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress(
    iterable: Iterable[T], desc: str, *, unit: str = "it", enabled: bool | None = None
) -> Bar[T]:
    """Wrap `iterable` in a tqdm bar on stderr, or leave it plain.

    The bar appears when `enabled` is True, or when it is None and stderr is a terminal, so
    logs and pipes stay clean; without tqdm installed there is never a bar. tqdm is imported
    only when a bar is wanted.

    Args:
        iterable: What to iterate over.
        desc: The label in front of the bar.
        unit: What one step is called, e.g. `"epoch"`.
        enabled: True to force the bar, False to turn it off, None for "only on a terminal".

    Returns:
        An iterable over `iterable`'s items with `set_postfix(**values)` (shown after the bar)
        and `close()`; both do nothing when there is no bar.
    """
    show = sys.stderr.isatty() if enabled is None else enabled
    if show:
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            bar = tqdm(iterable, desc=desc, unit=unit, leave=False, file=sys.stderr)
            return cast(Bar[T], bar)
    return _Plain(iterable)
