"""The Python examples in the README and the user guide run and print what the pages say.

Each page's ```python blocks run in order in one namespace (a page reads like one session). When
a ```text block follows a python block directly, it is the block's expected standard output.
Blocks that include a file (`--8<--`) are skipped: the included files are tested on their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = [
    "../README.md",
    "index.md",
    "quickstart.md",
    "concepts.md",
    "second_order.md",
    "guide/layers.md",
    "guide/training.md",
]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, str | None]]:
    """(name, code, expected output or None) for each python block of a page."""
    fences = list(FENCE.finditer(text))
    found = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python" or "--8<--" in fence.group(2):
            continue
        expected = None
        if i + 1 < len(fences):
            following = fences[i + 1]
            if following.group(1) == "text" and not text[fence.end() : following.start()].strip():
                expected = following.group(2)
        line = text.count("\n", 0, fence.start()) + 1
        found.append((f"line {line}", fence.group(2), expected))
    return found


def run_page(page: str) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for name, code, expected in blocks((DOCS / page).read_text(encoding="utf-8")):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(code, f"docs/{page} ({name})", "exec"), namespace)
        if expected is not None:
            assert output.getvalue() == expected, f"docs/{page}, block at {name}"


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run_and_print_what_the_page_shows(page: str) -> None:
    # A fresh context: a page that sets the default strategy must not leak it into other tests.
    contextvars.copy_context().run(run_page, page)


def test_every_page_has_checked_examples() -> None:
    for page in PAGES:
        found = blocks((DOCS / page).read_text(encoding="utf-8"))
        assert found, f"docs/{page} has no python blocks"
        assert any(expected is not None for _, _, expected in found), page
