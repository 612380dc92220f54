"""The command line, run as users run it: in a subprocess, checking output and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad as mg


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minigrad", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )


def rows_of(output: str) -> dict[str, list[str]]:
    """Table rows keyed by their first cell."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("compare", "blowup", "train", "graph", "bench"):
        assert command in result.stdout
        sub = run(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "usage: minigrad " + command in sub.stdout


def test_compare_runs_every_strategy_and_agrees() -> None:
    result = run("compare", "--width", "3", "--depth", "4")
    assert result.returncode == 0, result.stderr
    rows = rows_of(result.stdout)
    for name in mg.available_strategies():
        assert name in rows
    # columns: seconds vjp_calls nodes max_depth peak(2 cells) max|dg|
    linear_calls = {rows[n][1] for n in ("memoized", "cycle_checked", "topological")}
    assert len(linear_calls) == 1
    assert int(rows["naive"][1].replace(",", "")) > int(rows["topological"][1].replace(",", ""))
    assert rows["topological"][3] == "1"
    for name in ("naive", "memoized", "cycle_checked"):
        assert float(rows[name][-1]) < 1e-12


def test_compare_shows_a_refusal_in_its_row_instead_of_crashing() -> None:
    result = run("compare", "--width", "4", "--depth", "12")
    assert result.returncode == 0, result.stderr
    naive_row = next(line for line in result.stdout.splitlines() if line.startswith("naive"))
    assert "refused" in naive_row and "calls predicted" in naive_row
    assert "topological" in result.stdout


def test_compare_tensor_chain() -> None:
    result = run("compare", "--graph", "chain", "--depth", "50", "--mode", "tensor")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("graph: chain of 50 steps (100 op nodes), tensor mode")
    # 50 steps of (y * 0.5).tanh(), then .sum(): 101 op nodes above the leaf
    assert rows_of(result.stdout)["memoized"][3] == "102"


def test_blowup_matches_prediction() -> None:
    result = run("blowup", "--max-depth", "5", "--width", "2")
    assert result.returncode == 0, result.stderr
    table = [
        line.split()
        for line in result.stdout.splitlines()
        if line.split()[:1] and line.split()[0].isdigit()
    ]
    assert [int(r[0]) for r in table] == [1, 2, 3, 4, 5]
    for row in table:
        assert row[1] == row[2]  # measured naive calls equal the predicted path count
    naive = [int(r[1].replace(",", "")) for r in table]
    assert naive == sorted(naive) and naive[-1] > 4 * naive[0]


def test_blowup_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "blowup.png"
    result = run("blowup", "--max-depth", "3", "--plot", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("engine", ["graph", "callstack", "cachelist"])
def test_train_reaches_good_accuracy(engine: str) -> None:
    epochs = "40" if engine == "graph" else "300"
    result = run("train", "--dataset", "moons", "--engine", engine, "--epochs", epochs)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    accuracy = float(last.split("accuracy ")[1].split(",")[0])
    assert accuracy >= 0.9, result.stdout


def test_graph_prints_dot_with_naive_visit_counts() -> None:
    result = run("graph", "reuse", "--strategy", "naive")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph")
    assert "(x4)" in result.stdout  # a is reached along four paths
    topo = run("graph", "reuse", "--strategy", "topological")
    assert "(x4)" not in topo.stdout and "grad 4" in topo.stdout


def test_graph_expression_and_dot_file(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    result = run("graph", "tanh(a*b + a)", "--values", "a=0.5,b=-1", "--out", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert 'label="{a | data 0.5' in text and "tanh" in text


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--width", "0"],
        ["compare", "--mode", "sparse"],
        ["train", "--strategy", "nope"],
        ["train", "--sizes", "2,x"],
        ["graph", "__import__('os')"],
        ["graph", "a", "--values", "a"],
        ["train", "--lr", "-1"],
        ["train", "--lr", "nan"],
        ["train", "--seed", "-3"],
        ["train", "--sizes", "2,8,3"],
        ["train", "--engine", "callstack", "--strategy", "naive"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_arguments_exit_2_with_a_message(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr


def test_bad_values_are_named_in_the_message() -> None:
    assert "positive finite number, got -1" in run("train", "--lr", "-1").stderr
    assert (
        "--engine graph only" in run("train", "--engine", "cachelist", "--strategy", "naive").stderr
    )


def test_number_columns_line_up_on_the_right() -> None:
    result = run("blowup", "--max-depth", "4", "--width", "3", "--run-limit", "100")
    lines = [line for line in result.stdout.splitlines() if line[:5].strip().isdigit()]
    assert any("not run" in line for line in lines)
    column_end = {
        len(line[: line.index("not run") + len("not run")]) for line in lines if "not run" in line
    }
    measured = [line for line in lines if "not run" not in line]
    assert measured and len(column_end) == 1
    end = column_end.pop()
    assert all(line[end - 1].isdigit() and line[end] == " " for line in measured)


@pytest.mark.parametrize("args", [["graph", "reuse"], ["train", "--epochs", "1"]])
def test_a_misspelt_strategy_variable_is_a_clear_error(args: list[str]) -> None:
    result = run(*args, env={"MINIGRAD_STRATEGY": "topo"})
    assert result.returncode == 2
    assert "MINIGRAD_STRATEGY='topo' is not a known strategy" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_strategy_message_lists_the_known_ones() -> None:
    result = run("train", "--strategy", "nope")
    for name in mg.available_strategies():
        assert name in result.stderr


def test_bench_quick_runs_one_benchmark() -> None:
    root = Path(__file__).resolve().parents[1]
    result = run("bench", "--quick", "--only", "chain", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "== bench_chain ==" in result.stdout


def test_output_pipes_cleanly() -> None:
    first = subprocess.run(
        f"{sys.executable} -m minigrad compare | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert first.stdout.startswith("graph:")
    assert "Traceback" not in first.stderr
    assert "\x1b[" not in first.stdout
