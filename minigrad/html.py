"""A self-contained web page that steps through each strategy's backward walk, one visit at a time.

`step_through_page(output, title)` records every registered strategy's walk on the graph under
`output` (`minigrad.walks`), lays the graph out (`minigrad.svg`: with Graphviz's `dot` when it is
installed, else with minigrad's own layered layout, saying which) and writes one HTML page: the SVG
inline, the walks as JSON inline, and a small inline script. Nothing is loaded from the network. The
reader picks a strategy and steps with buttons, a slider or the keyboard (arrows, Home, End, space
to play); the page highlights the node visited, shows every node's gradient so far and its visits so
far, counts the rule calls, and says what the walk is doing: the path being pushed (`naive`), the
memo filling and the nodes in progress (`memoized`, `cycle_checked`), the order (`topological`,
`tape`). The address's `#strategy=NAME&step=K` opens a given step (K may be `last`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from minigrad.backward import available_strategies, get_default_strategy
from minigrad.draw import LEGEND, fmt_value, node_title, visit_positions, visits_text
from minigrad.errors import MinigradError
from minigrad.svg import LAYOUTS, STYLE, layout, render_svg
from minigrad.value import Value
from minigrad.walks import Walk, record_walk

MAX_STEPS = 5_000
"""A walk with more visits than this is left off the page (naive on a large graph), saying so."""

EXPLAIN = {
    "push": "pushes each path's gradient down from the output, without a memo: a node is "
    "visited once per path, each visit adding that path's share",
    "pull": "pulls each node's gradient from its consumers, with a memo: a node is visited when "
    "its gradient is finished and goes into the memo",
    "sweep": "sweeps an order in which every node comes after its consumers: at its visit a "
    "node's gradient is complete, its rule runs once and adds shares to its parents",
    "visits": "a registered walk this page cannot replay: each visit shows the node's final "
    "gradient",
}


def _walks(output: Value, strategies: Sequence[str]) -> tuple[list[Walk], list[str]]:
    walks, skipped = [], []
    for name in strategies:
        try:
            walk = record_walk(output, name)
        except (MinigradError, RecursionError) as error:
            skipped.append(f"{name} ({type(error).__name__}: {error})"[:200])
            continue
        if len(walk.steps) > MAX_STEPS:
            skipped.append(f"{name} ({len(walk.steps):,} visits, over {MAX_STEPS:,})")
            continue
        walks.append(walk)
    return walks, skipped


def page_data(walks: Sequence[Walk]) -> dict[str, Any]:
    """What the page's script reads: the nodes' names and data, and each walk's steps."""
    nodes = walks[0].nodes
    return {
        "nodes": [
            {"name": node_title(n), "op": n.op is not None, "grad": n.requires_grad}
            for n in nodes
        ],
        "walks": {
            walk.strategy: {
                "kind": walk.kind,
                "explain": EXPLAIN[walk.kind] + (f" ({walk.note})" if walk.note else ""),
                "vjp_calls": walk.vjp_calls,
                "start": {str(i): fmt_value(g) for i, g in walk.start.items()},
                "final": {str(i): fmt_value(g) for i, g in walk.final.items()},
                "steps": [
                    [s.node, {str(i): fmt_value(g) for i, g in s.grads.items()}, s.vjp_calls,
                     list(s.marks)]
                    for s in walk.steps
                ],
            }
            for walk in walks
        },
    }  # fmt: skip


def _widest_lines(walks: Sequence[Walk]) -> list[list[str]]:
    """Each node's lines at their widest over every step of every walk, to size its box."""
    nodes = walks[0].nodes
    grads: list[list[str]] = [["-"] for _ in nodes]
    visits: list[list[str]] = [["visit 1"] for _ in nodes]
    for walk in walks:
        for step in walk.steps:
            for i, g in step.grads.items():
                grads[i].append(fmt_value(g))
        for i, positions in visit_positions(walk.visits).items():
            visits[i].append(visits_text(positions))
    return [
        [node_title(n), f"data {fmt_value(n.data)}", f"grad {max(grads[i], key=len)}",
         max(visits[i], key=len)]
        for i, n in enumerate(nodes)
    ]  # fmt: skip


def step_through_page(
    output: Value, title: str, strategy: str | None = None, engine: str = "auto"
) -> str:
    """The HTML page stepping through every registered strategy's walk on `output`'s graph.

    Args:
        output: The graph's output (a one-element Value that requires a gradient).
        title: What the page is about, e.g. the expression.
        strategy: The walk shown first; None for the default strategy.
        engine: The layout (`minigrad.svg.layout`): "auto" uses Graphviz's dot when it is
            installed, else minigrad's own; the page says which.

    Raises:
        ValueError: If no strategy could walk the graph.
    """
    walks, skipped = _walks(output, available_strategies())
    if not walks:
        raise ValueError("no strategy could walk this graph: " + "; ".join(skipped))
    names = [w.strategy for w in walks]
    wanted = [strategy, get_default_strategy(), names[0]]
    first = next(name for name in wanted if name in names)
    drawn = layout(output, _widest_lines(walks), engine)
    svg = render_svg(drawn, "", ids=True, standalone=False, style=STYLE + GRAPH_STYLE)
    data = page_data(walks)
    data["first"] = first
    note = f"Left off: {'; '.join(skipped)}." if skipped else ""
    options = "".join(
        f'<option value="{escape(n)}"{" selected" if n == first else ""}>{escape(n)}</option>'
        for n in names
    )
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return PAGE.format(
        title=escape(title),
        legend=escape(LEGEND),
        engine=escape(LAYOUTS[drawn.engine]),
        options=options,
        svg=svg,
        skipped=escape(note),
        data=payload,
        script=SCRIPT,
        style=PAGE_STYLE,
    )


GRAPH_STYLE = """
.minigrad-graph .node.visited .box { fill: #eef4ff; }
.minigrad-graph .node.marked .box { fill: #fff3c4; stroke: #b8860b; stroke-width: 2; }
.minigrad-graph .node.current .box { fill: #ffd9b3; stroke: #d4570b; stroke-width: 3; }
.minigrad-graph .node.pending text.line-2 { fill: #888; }
"""

PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.2rem;
  color: #222; max-width: 100%; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
p { margin: .3rem 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .6rem 0;
  position: sticky; top: 0; background: #fff; padding: .4rem 0; border-bottom: 1px solid #ddd; }
.controls button { font-size: .95rem; padding: .25rem .6rem; }
#slider { flex: 1 1 12rem; }
.counter { font-family: ui-monospace, monospace; background: #f3f3f3; padding: .2rem .5rem;
  border-radius: 4px; }
#status { min-height: 2.6em; font-size: .95rem; }
#graph { overflow-x: auto; border: 1px solid #eee; }
#sequence { font-family: ui-monospace, monospace; font-size: .85rem; line-height: 1.7;
  padding-left: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; }
#sequence li { padding: 0 .35rem; border: 1px solid #ddd; border-radius: 3px; cursor: pointer; }
#sequence li.done { background: #eef4ff; }
#sequence li.now { background: #ffd9b3; border-color: #d4570b; }
.small { font-size: .85rem; color: #555; }
.swatch { display: inline-block; width: .9em; height: .9em; vertical-align: middle;
  border: 1px solid #333; margin: 0 .2em 0 .6em; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minigrad: stepping through the backward walks of {title}</title>
<style>{style}</style>
</head>
<body>
<h1>Stepping through the backward walks of <code>{title}</code></h1>
<p class="small">{legend} Layout: {engine} (inputs left, output right).
<span class="swatch" style="background:#ffd9b3"></span>the node visited
<span class="swatch" style="background:#fff3c4"></span>the path pushed (naive) or the nodes in
progress (memoized, cycle_checked)
<span class="swatch" style="background:#eef4ff"></span>visited before</p>
<div class="controls" role="group" aria-label="walk controls">
<label>strategy <select id="strategy">{options}</select></label>
<button id="first" title="first (Home)">first</button>
<button id="prev" title="step back (left arrow)">&#x25C0; back</button>
<button id="play" title="play or pause (space)">&#x25B6; play</button>
<button id="next" title="step (right arrow)">step &#x25B6;</button>
<button id="last" title="last (End)">last</button>
<input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
<span class="counter" id="counter">step 0 of 0</span>
<span class="counter" id="vjp">vjp calls 0</span>
</div>
<p id="explain" class="small"></p>
<p id="status" aria-live="polite"></p>
<div id="graph">{svg}</div>
<p class="small">The visits of this walk, in order (click one to go there):</p>
<ol id="sequence"></ol>
<p class="small">{skipped}</p>
<p class="small">Keys: left and right arrows step, Home and End jump, space plays. The address
(<span class="mono">#strategy=naive&amp;step=3</span>) opens a given step.</p>
<script type="application/json" id="walks">{data}</script>
<script>{script}</script>
</body>
</html>
"""

SCRIPT = r"""
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("walks").textContent);
  const nodes = data.nodes;
  const select = document.getElementById("strategy");
  const slider = document.getElementById("slider");
  const sequence = document.getElementById("sequence");
  const $ = (id) => document.getElementById(id);
  let name = data.first, step = 0, timer = null;

  function visitsText(positions) {
    const shown = positions.slice(0, 8).join(",") + (positions.length > 8 ? "\u2026" : "");
    return "visit " + shown + (positions.length > 1 ? " (x" + positions.length + ")" : "");
  }
  function names(list) { return list.map((i) => nodes[i].name).join(" \u2192 "); }

  function state(walk, count) {
    const grads = Object.assign({}, walk.start);
    const visits = nodes.map(() => []);
    for (let k = 0; k < count; k++) {
      const [node, changed] = walk.steps[k];
      Object.assign(grads, changed);
      visits[node].push(k + 1);
    }
    return { grads, visits };
  }

  function describe(walk, count, grads) {
    if (count === 0) {
      return walk.kind === "sweep" ? "Before the sweep: the output's gradient is the seed, " +
        grads[0] + "." : "Before the first visit: no gradient is known yet.";
    }
    const [node, changed, , marks] = walk.steps[count - 1];
    const here = nodes[node].name;
    if (walk.kind === "push") {
      return "Pushing along the path " + names(marks) + ": " + here + " gets this path's " +
        "share, its gradient so far is " + grads[node] + ".";
    }
    if (walk.kind === "pull") {
      const memo = new Set(walk.steps.slice(0, count).map((s) => s[0])).size;
      const waiting = marks.length ? " In progress (waiting for it): " +
        marks.map((i) => nodes[i].name).join(", ") + "." : " Nothing else is in progress.";
      return here + "'s gradient is finished: " + grads[node] + ". The memo holds " + memo +
        " of " + walk.steps.length + " gradients." + waiting;
    }
    if (walk.kind === "sweep") {
      const parents = Object.keys(changed).map((i) => nodes[i].name);
      const order = walk.steps.map((s) => nodes[s[0]].name);
      return here + " is number " + count + " in the order (" + order.join(", ") + "): its " +
        "gradient is complete, " + grads[node] + (parents.length ? "; its rule adds shares to " +
        parents.join(", ") + "." : "; it is a leaf, nothing to pass on.");
    }
    return "Visit " + count + ": " + here + ".";
  }

  function render() {
    const walk = data.walks[name];
    const total = walk.steps.length;
    step = Math.max(0, Math.min(step, total));
    const { grads, visits } = state(walk, step);
    const current = step ? walk.steps[step - 1][0] : -1;
    const marks = new Set(step ? walk.steps[step - 1][3] : []);
    nodes.forEach((node, i) => {
      const group = $("node-" + i);
      if (!group) return;
      const known = Object.prototype.hasOwnProperty.call(grads, String(i));
      group.querySelector(".line-2").textContent = "grad " + (known ? grads[i] : "-");
      const line = group.querySelector(".line-3");
      if (line) line.textContent = visits[i].length ? visitsText(visits[i]) : "";
      group.classList.toggle("current", i === current);
      group.classList.toggle("marked", marks.has(i));
      group.classList.toggle("visited", visits[i].length > 0);
      group.classList.toggle("pending", !known);
    });
    slider.max = String(total);
    slider.value = String(step);
    $("counter").textContent = "step " + step + " of " + total;
    const calls = step ? walk.steps[step - 1][2] : 0;
    $("vjp").textContent = "vjp calls " + calls + " of " + walk.vjp_calls;
    $("explain").textContent = name + " " + walk.explain + ".";
    $("status").textContent = describe(walk, step, grads);
    Array.from(sequence.children).forEach((li, k) => {
      li.className = k + 1 === step ? "now" : k < step ? "done" : "";
    });
    history.replaceState(null, "", "#strategy=" + name + "&step=" + step);
  }

  function choose(strategy) {
    name = strategy;
    select.value = strategy;
    sequence.textContent = "";
    data.walks[name].steps.forEach((s, k) => {
      const li = document.createElement("li");
      li.textContent = (k + 1) + " " + nodes[s[0]].name;
      li.addEventListener("click", () => { stop(); step = k + 1; render(); });
      sequence.appendChild(li);
    });
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    $("play").textContent = "\u25B6 play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (step >= data.walks[name].steps.length) step = 0;
    $("play").textContent = "pause";
    timer = setInterval(() => {
      if (step >= data.walks[name].steps.length) { stop(); return; }
      step += 1; render();
    }, 700);
  }

  select.addEventListener("change", () => { stop(); choose(select.value); step = 0; render(); });
  slider.addEventListener("input", () => { stop(); step = Number(slider.value); render(); });
  $("first").addEventListener("click", () => { stop(); step = 0; render(); });
  $("prev").addEventListener("click", () => { stop(); step -= 1; render(); });
  $("next").addEventListener("click", () => { stop(); step += 1; render(); });
  $("last").addEventListener("click", () => { stop(); step = 1e9; render(); });
  $("play").addEventListener("click", play);
  document.addEventListener("keydown", (event) => {
    if (event.target === select || event.target === slider) return;
    const keys = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in keys) { stop(); step += keys[event.key]; }
    else if (event.key === "Home") { stop(); step = 0; }
    else if (event.key === "End") { stop(); step = 1e9; }
    else if (event.key === " ") { play(); }
    else return;
    event.preventDefault();
    render();
  });

  const asked = new URLSearchParams(location.hash.slice(1));
  if (asked.get("strategy") in data.walks) name = asked.get("strategy");
  choose(name);
  step = asked.get("step") === "last" ? 1e9 : Number(asked.get("step")) || 0;
  render();
})();
"""
