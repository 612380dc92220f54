"""The command line, run as users run it: in a subprocess, checking output and exit codes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import minigrad as mg

ROOT = Path(__file__).resolve().parents[1]
FINAL_LINE = re.compile(r"^final loss \d+\.\d{4}, accuracy [01]\.\d{3}, \d+\.\d{2} s$")
PNG = b"\x89PNG\r\n\x1a\n"


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


def run_without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the command line in a Python where importing `module` fails, as if not installed."""
    code = (
        f"import sys; sys.modules[{module!r}] = None; "
        f"from minigrad.cli import main; sys.exit(main({list(args)!r}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def path_without_dot(tmp_path: Path) -> str:
    """A PATH holding only a link to this Python: no Graphviz `dot` on it."""
    folder = tmp_path / "bin-without-dot"
    folder.mkdir()
    (folder / "python").symlink_to(sys.executable)
    assert shutil.which("dot", path=str(folder)) is None
    return str(folder)


def table_rows(output: str) -> list[list[str]]:
    """The cells of every table row that starts with a number."""
    return [
        line.split()
        for line in output.splitlines()
        if line.split()[:1] and line.split()[0].isdigit()
    ]


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


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"minigrad {mg.__version__}"


def test_compare_runs_every_strategy_and_agrees() -> None:
    result = run("compare", "--width", "3", "--depth", "4")
    assert result.returncode == 0, result.stderr
    rows = rows_of(result.stdout)
    for name in mg.available_strategies():
        assert name in rows
    # columns: seconds vjp_calls nodes max_depth peak(2 cells) max|dg|
    linear_calls = {rows[n][1] for n in ("memoized", "cycle_checked", "topological", "tape")}
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


@pytest.mark.parametrize("args", [["compare"], ["blowup", "--max-depth", "2"]])
def test_a_bad_naive_cap_variable_is_a_clear_error(args: list[str]) -> None:
    result = run(*args, env={"MINIGRAD_NAIVE_MAX_CALLS": "lots"})
    assert result.returncode == 2
    assert "MINIGRAD_NAIVE_MAX_CALLS='lots' is not a call cap" in result.stderr
    assert "Traceback" not in result.stderr


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


# -- graph --out: files, Graphviz or not --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_graph_image_without_graphviz_writes_the_dot_text_instead(tmp_path: Path, fmt: str) -> None:
    env = {"PATH": path_without_dot(tmp_path), "PYTHONPATH": str(ROOT)}
    work = tmp_path / "work"
    work.mkdir()
    result = run("graph", "tanh(a*b + a)", "--out", f"g.{fmt}", cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["g.dot"]  # no image, no temporary file
    text = (work / "g.dot").read_text()
    assert text.startswith("digraph minigrad {") and "tanh" in text and text.endswith("}\n")
    assert text == run("graph", "tanh(a*b + a)").stdout  # the same DOT as on stdout
    note = result.stderr.strip()
    assert len(note.splitlines()) == 1
    assert "Graphviz" in note and "not found" in note and "g.dot" in note
    assert f"dot -T{fmt} g.dot -o g.{fmt}" in note
    assert result.stdout.startswith("wrote g.dot (")


def test_graph_dot_file_needs_no_graphviz(tmp_path: Path) -> None:
    env = {"PATH": path_without_dot(tmp_path)}
    target = tmp_path / "reuse.dot"
    result = run("graph", "reuse", "--strategy", "naive", "--out", str(target), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"wrote {target} (reuse — naive:")
    assert target.read_text() == run("graph", "reuse", "--strategy", "naive").stdout


@pytest.mark.parametrize("out", ["g.txt", "g", "g.jpeg"])
def test_graph_unsupported_output_is_a_usage_error(tmp_path: Path, out: str) -> None:
    result = run("graph", "reuse", "--out", out, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert f"unsupported output {out!r}" in result.stderr
    assert ".dot" in result.stderr and ".svg" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_graph_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    result = run("graph", "reuse", "--out", str(tmp_path / "nowhere" / "g.dot"))
    assert result.returncode == 1
    assert "not written" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr


FAKE_DOT = """#!{python}
import sys
args = sys.argv[1:]
target = args[args.index("-o") + 1]
text = sys.stdin.read()
with open(target, "w") as f:
    f.write("<fake " + args[0] + ">")
    if "broken" in text:
        sys.stderr.write("Error: syntax error in line 3\\n")
        sys.exit(1)
    f.write(text)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in `dot` is a POSIX script")
def test_graph_image_is_rendered_by_dot_and_never_half_written(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "dot"
    fake.write_text(FAKE_DOT.format(python=sys.executable))
    fake.chmod(0o755)
    env = {"PATH": str(folder)}
    out = tmp_path / "out"
    out.mkdir()

    done = run("graph", "reuse", "--out", str(out / "g.svg"), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out / 'g.svg'} (reuse")
    image = (out / "g.svg").read_text()
    assert image.startswith("<fake -Tsvg>digraph minigrad {")
    assert sorted(p.name for p in out.iterdir()) == ["g.svg"]

    failed = run("graph", "broken + 1", "--out", str(out / "h.png"), env=env)
    assert failed.returncode == 1
    assert "dot failed with status 1" in failed.stderr and "syntax error" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert sorted(p.name for p in out.iterdir()) == ["g.svg"]  # no h.png, whole or partial


# -- blowup over several widths -------------------------------------------------------------------


def test_blowup_single_width_keeps_one_table() -> None:
    result = run("blowup", "--max-depth", "3", "--width", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "naive vs linear strategies on dense scalar tanh nets of width 2"
    assert lines[1].split() == ["depth", "predicted", "paths", "naive", "vjp_calls", "linear",
                                "vjp_calls", "ratio"]  # fmt: skip
    assert "" not in lines
    assert lines[-1] == "(naive is run while the prediction is <= 200,000)"
    assert [r[:3] for r in table_rows(result.stdout)] == [
        ["1", "9", "9"], ["2", "25", "25"], ["3", "57", "57"]
    ]  # fmt: skip


def test_blowup_prints_one_table_per_width() -> None:
    result = run("blowup", "--max-depth", "3", "--width", "2,3,4", "--run-limit", "100")
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.split("\n\n")
    assert len(blocks) == 3
    expected = {2: [9, 25, 57], 3: [20, 74, 236], 4: [35, 163, 675]}  # exact path counts
    for block, (width, paths) in zip(blocks, expected.items(), strict=True):
        assert block.startswith(
            f"naive vs linear strategies on dense scalar tanh nets of width {width}\n"
        )
        rows = table_rows(block)
        assert [int(r[0]) for r in rows] == [1, 2, 3]
        assert [int(r[1].replace(",", "")) for r in rows] == paths
        for row, predicted in zip(rows, paths, strict=True):
            if predicted <= 100:  # naive is run, and makes exactly the predicted calls
                assert row[2] == row[1]
            else:
                assert row[2:4] == ["not", "run"]
    assert result.stdout.count("(naive is run while") == 1
    assert result.stdout.rstrip().endswith("(naive is run while the prediction is <= 100)")


def test_blowup_plot_several_widths(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "widths.png"
    result = run("blowup", "--max-depth", "3", "--width", "2,3", "--plot", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"wrote {target}")
    assert target.read_bytes()[:8] == PNG


def test_blowup_plot_without_matplotlib_says_so(tmp_path: Path) -> None:
    target = tmp_path / "blowup.png"
    result = run_without("matplotlib", "blowup", "--max-depth", "2", "--plot", str(target))
    assert result.returncode == 1
    assert "--plot needs matplotlib" in result.stderr and "pip install" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("width", ["2,x", "0,2", ",", "3,-1"])
def test_blowup_bad_width_lists_exit_2(width: str) -> None:
    result = run("blowup", "--width", width)
    assert result.returncode == 2
    assert "argument --width" in result.stderr and "2,3,4" in result.stderr


def test_blowup_help_mentions_width_lists() -> None:
    text = run("blowup", "--help").stdout
    assert "--width W[,W...]" in text and "2,3,4" in text and "one line per width" in text


# -- train: data sets and plots -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "first"),
    [
        ("circles", "circles: 400 samples, 2 classes; MLP [2, 16, 16, 2]; engine graph"),
        ("spirals", "spirals: 450 samples, 3 classes; MLP [2, 16, 16, 3]; engine graph"),
        (
            "banknote-like",
            "banknote-like: 1,372 samples, 2 classes; MLP [4, 16, 16, 2]; engine graph",
        ),
    ],
)
def test_train_on_each_builtin_dataset(dataset: str, first: str) -> None:
    result = run("train", "--dataset", dataset, "--epochs", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(first)
    assert FINAL_LINE.match(lines[-1]), lines[-1]


def test_train_digits() -> None:
    pytest.importorskip("sklearn")
    result = run("train", "--dataset", "digits", "--epochs", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("digits: 1,797 samples, 10 classes; MLP [64, 16, 16, 10]")
    assert FINAL_LINE.match(lines[-1]), lines[-1]


def test_train_digits_without_scikit_learn_says_so() -> None:
    result = run_without("sklearn", "train", "--dataset", "digits", "--epochs", "1")
    assert result.returncode == 1
    assert "--dataset digits" in result.stderr and "pip install scikit-learn" in result.stderr
    assert "Traceback" not in result.stderr
    assert "final loss" not in result.stdout


def test_train_plot_writes_pngs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    folder = tmp_path / "plots" / "moons"  # created, parents and all
    result = run("train", "--epochs", "3", "--plot", str(folder))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert FINAL_LINE.match(lines[-3])
    assert lines[-2:] == [f"wrote {folder / 'loss.png'}", f"wrote {folder / 'boundary.png'}"]
    assert sorted(p.name for p in folder.iterdir()) == ["boundary.png", "loss.png"]
    for name in ("loss.png", "boundary.png"):
        assert (folder / name).read_bytes()[:8] == PNG


def test_train_plot_skips_the_boundary_for_wide_inputs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run("train", "--dataset", "banknote-like", "--epochs", "2", "--plot", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.png"]


def test_train_plot_without_matplotlib_says_so_before_training(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    result = run_without("matplotlib", "train", "--epochs", "2", "--plot", str(folder))
    assert result.returncode == 1
    assert "--plot needs matplotlib" in result.stderr and "pip install" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # it did not train first
    assert not folder.exists()


# -- compare on a residual net, and the installed command ----------------------------------------


def test_compare_residual() -> None:
    result = run("compare", "--graph", "residual", "--width", "3", "--depth", "4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("graph: residual, width 3, depth 4, scalar mode")
    rows = rows_of(result.stdout)
    calls = {name: int(rows[name][1].replace(",", "")) for name in mg.available_strategies()}
    assert calls["memoized"] == calls["cycle_checked"] == calls["topological"]
    assert calls["naive"] > calls["topological"]
    for name in ("naive", "memoized", "cycle_checked"):
        assert float(rows[name][-1]) < 1e-12
    # the skip connections give naive more paths than the plain dense net of the same size
    dense = rows_of(run("compare", "--width", "3", "--depth", "4").stdout)
    assert calls["naive"] > int(dense["naive"][1].replace(",", ""))


def console_script() -> Path | None:
    folder = Path(sys.executable).parent
    for name in ("minigrad", "minigrad.exe"):
        if (folder / name).is_file():
            return folder / name
    found = shutil.which("minigrad")
    return Path(found) if found else None


def test_console_script_is_the_same_program() -> None:
    script = console_script()
    if script is None:
        pytest.skip("the minigrad console script is not installed")

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=120, check=False
        )

    helped = call("--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: minigrad ")
    drawn = call("graph", "reuse", "--strategy", "naive")
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout == run("graph", "reuse", "--strategy", "naive").stdout
    bad = call("compare", "--depth", "0")
    assert bad.returncode == 2 and "positive integer" in bad.stderr


# -- help: descriptions, examples, defaults, strategy names ---------------------------------------


@pytest.mark.parametrize("command", ["compare", "blowup", "train", "graph", "bench"])
def test_every_command_has_a_description_and_examples(command: str) -> None:
    text = run(command, "--help").stdout
    usage, _, rest = text.partition("\n\n")
    description = rest.split("\n\n")[0]
    assert usage.startswith(f"usage: minigrad {command}")
    assert not description.startswith(("options:", "positional")) and len(description) > 80
    examples = text.split("examples:\n")[1].splitlines()
    assert len(examples) >= 2 and all(line.startswith(f"  minigrad {command}") for line in examples)


def test_help_shows_defaults_and_the_registered_strategies() -> None:
    from minigrad.cli import build_parser

    compare = run("compare", "--help").stdout
    assert "(default: 3)" in compare and "(default: dense)" in compare
    assert "(default: True)" not in compare  # flags show no default
    for name in mg.available_strategies():
        assert name in compare and name in run("graph", "--help").stdout
    blowup = run("blowup", "--help").stdout
    assert "(default: 200000)" in blowup and "(default: 3)" in blowup

    def mine(root, seed, *, trace=None):  # type: ignore[no-untyped-def]
        return mg.backward.get_strategy("topological")(root, seed, trace=trace)

    mg.register_strategy("my_walk", mine)
    try:
        parser = build_parser()
        sub = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        assert "my_walk" in sub["train"].format_help()
        assert "my_walk" in sub["compare"].format_help()
    finally:
        mg.unregister_strategy("my_walk")


# -- compare: a subset, deep chains, memory tracing ----------------------------------------------


def test_compare_runs_the_strategies_asked_for_in_that_order() -> None:
    result = run("compare", "--strategies", "tape,naive", "--depth", "3")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[3:]]
    assert names == ["tape", "naive"]


def test_compare_unknown_strategy_in_the_list_is_a_usage_error() -> None:
    result = run("compare", "--strategies", "naive,nope")
    assert result.returncode == 2
    assert "nope" in result.stderr and "topological" in result.stderr
    assert result.stdout == ""


def test_compare_on_a_deep_chain_is_quick_and_says_what_it_did_not_trace() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "compare", "--graph", "chain", "--depth", "20000"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = rows_of(result.stdout)
    for name in ("naive", "memoized", "cycle_checked"):
        assert rows[name][3] == "40,001" and rows[name][4:6] == ["not", "traced"]
    assert rows["topological"][5] == "KiB"  # the iterative walk is still traced
    assert "not traced for naive, memoized, cycle_checked" in result.stdout
    assert "--no-memory" in result.stdout


def test_compare_no_memory_drops_the_column() -> None:
    result = run("compare", "--no-memory", "--depth", "3")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[1].split()
    assert header == ["strategy", "seconds", "vjp_calls", "nodes", "max_depth", "max|dg|"]
    assert "KiB" not in result.stdout


# -- bench --quick: seconds, and no verdicts -------------------------------------------------------


def test_bench_quick_takes_seconds_and_judges_nothing() -> None:
    started = time.perf_counter()
    result = run("bench", "--quick", cwd=ROOT)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("== bench_") == len(list((ROOT / "benchmarks").glob("bench_*.py")))
    # A guard against the minutes-long runs of old, not a timing test: about 30 s when quiet.
    assert seconds < 180, f"bench --quick took {seconds:.0f} s"
    verdicts = re.findall(r"^.*(?:: met|NOT met|MISSED|verdict: steady).*$", result.stdout, re.M)
    assert verdicts == []
    assert "not checked in quick mode" in result.stdout
    assert "verdict: not judged in quick mode" in result.stdout
    assert re.search(r"^\d+ benchmarks in \d+\.\d s$", result.stdout, re.M)


# -- train: the real banknote data, sizes ----------------------------------------------------------


def test_train_on_the_real_banknote_data() -> None:
    result = run("train", "--dataset", "banknote", "--sizes", "4,8,2", "--epochs", "5")
    assert result.returncode == 0, result.stderr
    first, last = result.stdout.strip().splitlines()
    assert first.startswith("banknote: 1,372 samples, 2 classes; MLP [4, 8, 2]")
    assert float(last.split("accuracy ")[1].split(",")[0]) >= 0.95  # the real set is separable
    fake = run("train", "--dataset", "banknote-like", "--sizes", "4,8,2", "--epochs", "5")
    assert fake.stdout.splitlines()[-1] != last


@pytest.mark.parametrize("sizes", ["4,-3,1", "2,0,2", "-2,16,2", "2,,2", "2"])
def test_train_sizes_must_be_positive(sizes: str) -> None:
    result = run("train", f"--sizes={sizes}")
    assert result.returncode == 2
    assert "argument --sizes" in result.stderr and "positive" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_sizes_with_hyphens_still_work() -> None:
    result = run("train", "--sizes", "2-8-2", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert "MLP [2, 8, 2]" in result.stdout


# -- graph: legend, --values, plurals, bad expressions ---------------------------------------------


def test_graph_says_which_way_arrows_and_visits_run() -> None:
    text = run("graph", "reuse", "--strategy", "naive").stdout
    label = next(line for line in text.splitlines() if line.strip().startswith("label="))
    assert "Arrows point along the data flow" in label
    assert "visit numbers count the backward walk's steps, which start at the output" in label


def test_graph_unknown_values_name_is_an_error() -> None:
    result = run("graph", "a*b", "--values", "a=1,c=2")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "minigrad graph: error: --values names c, which the expression does not use "
        "(its names: a, b)"
    ]
    demo = run("graph", "reuse", "--values", "a=2")
    assert demo.returncode == 2 and "not to the demo 'reuse'" in demo.stderr


def test_graph_counts_are_pluralised() -> None:
    one = run("graph", "tanh(a)", "--strategy", "topological").stdout
    assert "tanh(a) — topological: 1 vjp call, 2 visits" in one
    two = run("graph", "reuse", "--strategy", "memoized").stdout
    assert "2 vjp calls, 3 visits" in two


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a/0", "division by zero in 'a/0' at a = 1"),
        ("a/(b-2)", "division by zero in 'a/(b-2)' at a = 1, b = 2"),
        ("exp(a*1000)", "'exp(a*1000)' is inf at a = 1"),
        ("1e400*a", "the number '1e400' overflows"),
        ("(-a)**0.5", "not a real number (nan)"),
        ("log(a-1)", "'log(a-1)' is -inf"),
        ("(" * 300 + "a" + ")" * 300, "too many nested parentheses"),
        ("+".join(["a"] * 300), "299 operations (at most 200)"),
        ("a" + " " * 2000, "too long to draw"),
    ],
)
def test_graph_bad_expressions_exit_2_with_one_line(expression: str, message: str) -> None:
    result = run("graph", expression)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minigrad graph: error: "), result.stderr
    assert message in lines[0]
    assert result.stdout == ""


# -- output paths are checked before the work starts -----------------------------------------------


def test_plot_into_a_folder_or_unknown_suffix_fails_before_the_work(tmp_path: Path) -> None:
    for args in (
        ["blowup", "--plot", str(tmp_path)],
        ["blowup", "--plot", str(tmp_path / "b.jpeg")],
        ["graph", "reuse", "--out", str(tmp_path)],
    ):
        result = run(*args)
        assert result.returncode == 2, args
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert "is a folder" in result.stderr or "unsupported output" in result.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for target in (blocker, blocker / "plots"):
        result = run("train", "--epochs", "1", "--plot", str(target))
        assert result.returncode == 2
        assert "exists and is not a folder" in result.stderr and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, a folder no one writes")
@pytest.mark.parametrize(
    "args",
    [
        ["blowup", "--max-depth", "2", "--plot", "/proc/blowup.png"],
        ["train", "--epochs", "1", "--plot", "/proc/plots"],
        ["graph", "reuse", "--out", "/proc/reuse.dot"],
    ],
)
def test_unwritable_outputs_fail_before_the_work(args: list[str]) -> None:
    if args[0] != "graph":
        pytest.importorskip("matplotlib")
    result = run(*args)
    assert result.returncode == 1
    assert "not written" in result.stderr and "cannot write in '/proc'" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# -- graph --html: the step-through page ---------------------------------------------------------


def test_graph_html_writes_one_self_contained_page(tmp_path: Path) -> None:
    target = tmp_path / "walks.html"
    result = run("graph", "tanh(a*b + a)", "--values", "a=2,b=-3", "--html", str(target))
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == f"wrote {target} (step through the walks of tanh(a*b + a), topological first)\n"
    )
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for name in mg.available_strategies():
        assert f'<option value="{name}"' in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walks.html"]  # no temporary left


def test_graph_html_and_out_together(tmp_path: Path) -> None:
    result = run("graph", "reuse", "--strategy", "naive", "--html", str(tmp_path / "r.html"),
                 "--out", str(tmp_path / "r.dot"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.dot", "r.html"]
    assert '"first":"naive"' in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("name", ["walks.txt", "walks"])
def test_graph_html_needs_an_html_name(tmp_path: Path, name: str) -> None:
    result = run("graph", "reuse", "--html", str(tmp_path / name))
    assert result.returncode == 2
    assert "unsupported output" in result.stderr and ".html" in result.stderr
    assert list(tmp_path.iterdir()) == []
