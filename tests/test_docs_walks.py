"""The pictures of the walks and the step-through pages: replayed from the strategies' own traces,
self-contained, committed up to date, and working in a real browser (when Chromium is installed).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import graphs
from minigrad.backward import gradient_map
from minigrad.draw import fmt_value, graph_nodes
from minigrad.html import step_through_page
from minigrad.walks import gradients_after, record_walk

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
import generate  # noqa: E402  (docs/generate.py: the figures' and pages' own recipe)

BUILDERS = {
    "reuse": graphs.reuse_demo,
    "dense": lambda: graphs.dense_net(2, 2),
    "neuron": graphs.neuron_demo,
    "diamond": graphs.diamond_demo,
    "tensor": lambda: graphs.dense_net(3, 2, "tensor"),
}


# -- the replay --------------------------------------------------------------------------------


@pytest.mark.parametrize("graph", list(BUILDERS))
@pytest.mark.parametrize("strategy", ["naive", "memoized", "cycle_checked", "topological", "tape"])
def test_every_builtin_walk_is_replayed_exactly(graph: str, strategy: str) -> None:
    output, _ = BUILDERS[graph]()
    walk = record_walk(output, strategy)
    grads, stats = gradient_map(output, None, strategy, trace=True)
    assert walk.kind != "visits" and walk.note == ""
    nodes = graph_nodes(output)
    assert [nodes[s.node] for s in walk.steps] == list(stats.visits)  # identity, in order
    assert walk.steps[-1].vjp_calls == stats.vjp_calls == walk.vjp_calls
    after = gradients_after(walk, len(walk.steps))
    assert {nodes[i] for i in after} == set(grads)
    for i, grad in after.items():
        np.testing.assert_allclose(grad, grads[nodes[i]])
    assert not any(v.has_grad for v in nodes)  # recording wrote no .grad


def test_naive_steps_carry_the_path_and_the_partial_gradients() -> None:
    output, (a,) = graphs.reuse_demo()
    walk = record_walk(output, "naive")
    nodes = walk.nodes
    names = [[nodes[i].label for i in s.marks] for s in walk.steps]
    assert names == [["c"], ["c", "b"], ["c", "b", "a"], ["c", "b", "a"], ["c", "b"],
                     ["c", "b", "a"], ["c", "b", "a"]]  # fmt: skip
    a_index = nodes.index(a)
    so_far = [s.grads[a_index] for s in walk.steps if s.node == a_index]
    assert so_far == [1.0, 2.0, 3.0, 4.0]  # one path's share at a time
    assert [s.vjp_calls for s in walk.steps] == [1, 2, 2, 2, 3, 3, 3]


def test_cycle_checked_steps_name_the_nodes_in_progress() -> None:
    output, _ = graphs.reuse_demo()
    walk = record_walk(output, "cycle_checked")
    labels = [
        (walk.nodes[s.node].label, [walk.nodes[i].label for i in s.marks]) for s in walk.steps
    ]
    # the pull starts at the leaf a, which waits for b, which waits for c
    assert labels == [("c", ["a", "b"]), ("b", ["a"]), ("a", [])]


def test_a_walk_it_cannot_replay_shows_final_gradients() -> None:
    def reversed_topological(root, seed, *, trace=None):  # type: ignore[no-untyped-def]
        return mg.backward.get_strategy("topological")(root, seed, trace=trace)

    mg.register_strategy("my_walk", reversed_topological)
    try:
        output, _ = graphs.reuse_demo()
        walk = record_walk(output, "my_walk")
        assert walk.kind == "visits"
        final = gradients_after(walk, len(walk.steps))
        assert {walk.nodes[i].label: g for i, g in final.items()} == {"c": 1.0, "b": 2.0, "a": 4.0}
        page = step_through_page(output, "reuse")
        assert '"my_walk"' in page
    finally:
        mg.unregister_strategy("my_walk")


# -- the page ----------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def page_json(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="walks">(.*?)</script>', page, re.S)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.mark.parametrize("graph", ["reuse", "dense", "tensor"])
def test_the_page_parses_loads_nothing_and_holds_every_walk(graph: str) -> None:
    output, _ = BUILDERS[graph]()
    page = step_through_page(output, graph, "naive")
    collected = _Collect()
    collected.feed(page)
    collected.close()
    tags = [tag for tag, _ in collected.tags]
    assert tags[0] == "html" and "svg" in tags and tags.count("script") == 2
    for tag, attrs in collected.tags:  # nothing fetched: no src, no links out, no imports
        assert "src" not in attrs, tag
        assert not (attrs.get("href") or "").strip(), tag
    assert not re.search(r"https?:|//[a-z]|@import|url\((?!#)", page, re.I)
    data = page_json(page)
    nodes = graph_nodes(output)
    assert set(data["walks"]) == set(mg.available_strategies())
    assert data["first"] == "naive"
    for name, walk in data["walks"].items():
        _, stats = gradient_map(output, None, name, trace=True)
        assert [s[0] for s in walk["steps"]] == [nodes.index(v) for v in stats.visits]
        assert walk["vjp_calls"] == stats.vjp_calls == walk["steps"][-1][2]
        shown = dict(walk["start"])
        for _, changed, _, _ in walk["steps"]:
            shown.update(changed)
        assert shown == walk["final"]  # the last step shows minigrad's gradients
    for i in range(len(nodes)):
        assert f'id="node-{i}"' in page


def test_the_page_leaves_off_a_walk_that_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    naive_module = importlib.import_module("minigrad.backward.naive")
    monkeypatch.setattr(naive_module, "_max_calls", None)  # restored after the test
    naive_module.set_max_calls(10)
    output, _ = graphs.dense_net(2, 2)
    page = step_through_page(output, "dense", "naive")
    data = page_json(page)
    assert "naive" not in data["walks"] and data["first"] == "topological"
    assert "Left off: naive (PathExplosionError" in page


# -- the committed figures and pages -----------------------------------------------------------


def test_the_committed_figures_and_pages_are_up_to_date() -> None:
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder)
        generate.walk_figures(fresh / "figures")
        generate.step_through_pages(fresh / "walks")
        made = sorted(fresh.rglob("*.*"))
        assert len(made) == 2 * len(mg.available_strategies()) + 2
        for path in made:
            committed = DOCS / path.relative_to(fresh)
            assert committed.read_text() == path.read_text(), (
                f"{committed.relative_to(ROOT)} is stale: run docs/generate.py --only walks"
            )


def test_every_strategy_page_shows_its_walks() -> None:
    for strategy in mg.available_strategies():
        page = (DOCS / "strategies" / f"{strategy}.md").read_text()
        for example in generate.WALK_EXAMPLES:
            assert f"](../figures/walk_{strategy}_{example}.svg)" in page, (strategy, example)
        overview = (DOCS / "strategies" / "index.md").read_text()
        assert f"](../figures/walk_{strategy}_reuse.svg)" in overview
    for figure in (DOCS / "figures").glob("walk_*.svg"):
        root = ET.fromstring(figure.read_text())
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "Arrows point along the data flow" in figure.read_text()


def test_every_image_and_page_a_docs_page_points_to_exists() -> None:
    link = re.compile(r"\]\(((?:\.\./)*[\w/.-]+\.(?:png|svg|html))(?:#[^)]*)?\)")
    for page in DOCS.rglob("*.md"):
        if "generated" in page.parts:
            continue
        for target in link.findall(page.read_text()):
            assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"


# -- in a real browser -------------------------------------------------------------------------

CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
    None,
)


def browse(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """Load `url` in headless Chromium; stdout is the DOM after the page's script ran."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", *extra, url],
            capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip


def node_texts(dom: str, index: int) -> tuple[str, list[str]]:
    """The class and the text lines of node `index` in a dumped DOM."""
    match = re.search(rf'<g class="([^"]*)" id="node-{index}">(.*?)</g>', dom, re.S)
    assert match, index
    return match.group(1), re.findall(r"<text[^>]*>([^<]*)</text>", match.group(2))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_page_steps_in_a_real_browser(tmp_path: Path) -> None:
    output, _ = graphs.reuse_demo()
    page = tmp_path / "reuse.html"
    page.write_text(step_through_page(output, "reuse", "naive"))
    data = page_json(page.read_text())
    seen: dict[tuple[str, str], str] = {}
    for strategy in ("naive", "cycle_checked", "topological"):
        for step in ("1", "2", "last"):
            done = browse(f"file://{page}#strategy={strategy}&step={step}", "--dump-dom")
            assert done.returncode == 0, done.stderr[-2000:]
            console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
            assert not console, console
            dom = done.stdout
            walk = data["walks"][strategy]
            total = len(walk["steps"])
            count = total if step == "last" else int(step)
            assert f"step {count} of {total}" in dom
            assert f"vjp calls {walk['steps'][count - 1][2]} of {walk['vjp_calls']}" in dom
            current = walk["steps"][count - 1][0]
            assert "current" in node_texts(dom, current)[0].split()
            seen[strategy, step] = re.sub(r"\s+", " ", dom)
            if step == "last":  # the final gradients the page shows are minigrad's
                for i, grad in walk["final"].items():
                    assert f"grad {grad}" in node_texts(dom, int(i))[1]
        assert seen[strategy, "1"] != seen[strategy, "2"]  # stepping changes the page
    shot = tmp_path / "shot.png"
    done = browse(f"file://{page}#strategy=naive&step=4", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fmt_value(4.0) == "4"


# -- the layout: minigrad's own, or Graphviz's when installed ------------------------------------


def test_the_page_says_which_layout_placed_the_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    import minigrad.svg as svg

    output, _ = graphs.reuse_demo()
    assert svg.layout(output, engine="minigrad").engine == "minigrad"
    monkeypatch.setattr(svg.shutil, "which", lambda name: None)
    assert svg.layout(output, engine="auto").engine == "minigrad"
    assert svg.layout(output, engine="graphviz").engine == "minigrad"  # asked for, not there
    page = step_through_page(output, "reuse")
    assert "Layout: minigrad&#x27;s own layered layout" in page
    with pytest.raises(ValueError, match="unknown layout engine 'spring'"):
        svg.layout(output, engine="spring")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_places_the_same_boxes_when_installed() -> None:
    import minigrad.svg as svg

    output, _ = graphs.dense_net(2, 2)
    mine, theirs = svg.layout(output, engine="minigrad"), svg.layout(output, engine="auto")
    assert theirs.engine == "graphviz"
    assert [(b.width, b.height) for b in mine.boxes] == [(b.width, b.height) for b in theirs.boxes]
    inputs = [b.x for n, b in zip(theirs.nodes, theirs.boxes, strict=True) if not n.parents]
    assert max(inputs) < theirs.boxes[0].x  # the output is right of every input
    assert "Layout: Graphviz&#x27;s dot" in step_through_page(output, "dense")
