"""The docs site's shape: tables that fit, benchmark output rendered, one machine table, no
placeholder links, the generator kept out of the site; and the generator's own table helpers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
import generate  # noqa: E402  (docs/generate.py)

BENCH_TEXT = """\
== minigrad scalar mode vs micrograd ==
platform : Linux (x86_64)
mode     : full, median of 5

Median seconds, gc on (Python default)
engine     strategy     forward  backward   total  total ratio (/micrograd)
---------  -----------  -------  --------  ------  ------------------------
micrograd  -             810 ms     66 ms  1.13 s                      1.00
minigrad   topological   180 ms    136 ms  322 ms                      0.29

Target: forward + backward time of minigrad <= 0.5 x micrograd's
  gc on (Python default): minigrad (topological) / micrograd = 0.29 (target <= 0.5): met
"""


def test_benchmark_text_becomes_tables_with_the_ratios_first() -> None:
    page = generate.text_to_markdown(BENCH_TEXT)
    assert page.startswith("**minigrad scalar mode vs micrograd**\n\n<details>")
    assert "platform : Linux (x86_64)" in page.split("</details>")[0]
    assert (
        "| engine | strategy | total ratio (/micrograd) | forward | backward | total |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |\n"
        "| micrograd | - | 1.00 | 810 ms | 66 ms | 1.13 s |\n"
        "| minigrad | topological | 0.29 | 180 ms | 136 ms | 322 ms |"
    ) in page
    assert page.endswith(
        "Target: forward + backward time of minigrad <= 0.5 x micrograd's\n\n"
        "- gc on (Python default): minigrad (topological) / micrograd = 0.29 (target <= 0.5): met"
    )


def test_a_wide_table_is_split_by_its_first_column() -> None:
    table = generate.md_table(
        ["graph", "strategy", "seconds"],
        [
            ["dense", "`naive`", "1 ms"],
            ["dense", "`memoized`", "2 ms"],
            ["chain", "`naive`", "3 ms"],
        ],
        [False, False, True],
    )
    assert generate.split_by_first_column(table) == (
        "**dense**\n\n| strategy | seconds |\n| --- | ---: |\n| `naive` | 1 ms |\n"
        "| `memoized` | 2 ms |\n\n**chain**\n\n| strategy | seconds |\n| --- | ---: |\n"
        "| `naive` | 3 ms |"
    )


def test_the_blowup_table_claims_no_exact_prediction_where_naive_did_not_run() -> None:
    points = [
        generate.SweepPoint(3, 1, 20, 10, 20, {}),
        generate.SweepPoint(3, 2, 500, 20, None, {}),
    ]
    rows = generate.blowup_table(points, generate.QUICK).splitlines()[2:4]
    assert rows[0].endswith("| yes |") and rows[1].endswith("| not run | 20 | 25.0\u00d7 | - |")
    committed = (DOCS / "generated" / "blowup.md").read_text()
    assert not re.search(r"not run .*\| yes \|", committed)


def test_every_benchmark_is_shown_as_rendered_tables() -> None:
    page = (DOCS / "benchmarks.md").read_text()
    assert "bench_" not in "".join(re.findall(r"```text\n--8<--[^\n]*", page))
    for output in sorted((DOCS / "generated").glob("bench_*.txt")):  # each benchmark's last run
        assert (DOCS / "generated" / f"{output.stem}.md").is_file(), output.name
        assert f'"docs/generated/{output.stem}.txt"' not in page  # no raw text dump
    assert "](figures/bench_time_per_node.png)" in page


def test_the_machine_table_is_on_one_page_and_linked_from_the_others() -> None:
    including = [
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*.md")
        if "generated" not in p.parts and "generated/machine.md" in p.read_text()
    ]
    assert including == ["benchmarks.md"]
    for name in ("tradeoffs.md", "recursion.md"):
        assert "](benchmarks.md#the-machine)" in (DOCS / name).read_text()


def test_the_site_config_has_no_placeholder_and_publishes_no_generator() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    assert "example.invalid" not in config and "repo_url" not in config
    assert "/generate.py" in config.split("exclude_docs:")[1].split("\n\n")[0]
    assert "stylesheets/extra.css" in config
    css = (DOCS / "stylesheets" / "extra.css").read_text()
    assert "word-break: normal" in css  # identifiers break at spaces only, never mid-word


def test_no_generated_table_is_wider_than_nine_columns() -> None:
    """The trade-offs table once had nine columns and forty rows: its last columns fell off the
    page. Tables of the pages' own measurements stay within eight columns."""
    for name in ("tradeoffs.md", "recursion_limits.md", "toposort.md", "blowup.md"):
        for line in (DOCS / "generated" / name).read_text().splitlines():
            if line.startswith("| "):
                assert len(re.split(r"(?<!\\)\|", line)) - 2 <= 8, (name, line)


def test_every_image_and_frame_of_the_built_site_exists(tmp_path: Path) -> None:
    """Build the site (when mkdocs is installed) and resolve every <img> and <iframe> source of
    every page: a broken picture fails here, not in a reader's browser."""
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (site / "generate.py").exists()
    checked = 0
    for page in site.rglob("*.html"):
        for source in re.findall(r'<(?:img|iframe)\b[^>]*\bsrc="([^"]+)"', page.read_text()):
            if source.startswith(("data:", "http:", "https:")):
                continue
            target = (page.parent / source.split("#")[0]).resolve()
            assert target.is_file(), f"{page.relative_to(site)}: {source}"
            checked += 1
    assert checked >= 20  # the walk figures, the plots and the embedded step-through
