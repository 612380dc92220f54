"""examples/notebooks/walks.ipynb runs, and shows what it stores: executed here cell by cell in one
namespace, as a kernel would, so the notebook cannot rot."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import generate  # noqa: E402  (docs/generate.py: it ran the notebook to store its outputs)

BOOK = json.loads(generate.NOTEBOOK.read_text(encoding="utf-8"))


def stored_text(outputs: list[dict[str, Any]]) -> str:
    return "".join("".join(o["text"]) for o in outputs if o["output_type"] == "stream")


def test_the_notebook_runs_and_prints_what_it_stores() -> None:
    fresh = generate.run_notebook(BOOK["cells"])
    code = list(zip(BOOK["cells"], fresh, strict=True))
    for cell, outputs in code:
        if cell["cell_type"] == "code":
            assert stored_text(outputs) == stored_text(cell["outputs"]), "".join(cell["source"])
    printed = "".join(stored_text(out) for _, out in code)
    assert "dL/dz calls without a memo: 111" in printed  # the seed notebook's count
    assert "naive                 78" in printed and "memoized              38" in printed
    assert "False" not in printed  # every strategy computed the same gradients


def test_the_notebook_draws_the_graph_inline() -> None:
    fresh = generate.run_notebook(BOOK["cells"])
    pictures = [o["data"] for out in fresh for o in out if o["output_type"] == "display_data"]
    assert len(pictures) == 1
    svg = "".join(pictures[0]["image/svg+xml"])
    assert svg.startswith("<svg") and "naive: 78 vjp calls" in svg
    assert "Arrows point along the data flow" in svg
    assert pictures[0]["text/plain"] == ["Drawing(title='naive: 78 vjp calls, 123 visits')"]
