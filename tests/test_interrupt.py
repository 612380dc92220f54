"""Ctrl-C during a deep recursive walk, which runs on a worker thread.

The stand-in for a long walk: a profile hook in the worker thread that, deep in the recursion,
says so (sends SIGINT to the process, or prints a line for the parent process to send it, or
sends it to the worker thread itself, as happens where the running thread takes the signal) and
then keeps the walk busy in Python for up to a minute. Ctrl-C must stop it within a second or
so: the KeyboardInterrupt reaches the caller, the walk itself ends (it is not left running), the
recursion limit and thread stack size are restored, and no `.grad` changed. The command line
exits with status 130, as docs/errors.md promises.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import minigrad as mg

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]
STALL_SECONDS = 60.0  # how long the stalled walk would go on if nothing stopped it


class Stall:
    """A profile hook for new threads: at the `depth`-th call in a minigrad worker thread, it
    runs `arrived()` and then spins in Python (so an exception can be raised in it) until
    STALL_SECONDS have passed. `how` records how the spin ended."""

    def __init__(self, depth: int, arrived: Any) -> None:
        self.depth, self.arrived = depth, arrived
        self.calls = 0
        self.how: list[str] = []
        self.threads: list[threading.Thread] = []
        self.left = threading.Event()

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call" or not threading.current_thread().name.startswith("minigrad-"):
            return
        self.calls += 1
        if self.calls < self.depth:
            return
        sys.setprofile(None)
        self.threads.append(threading.current_thread())
        try:
            self.arrived()
            deadline = time.monotonic() + STALL_SECONDS
            while time.monotonic() < deadline:  # busy, like a walk
                pass
            self.how.append("ran to the end")
        except KeyboardInterrupt:
            self.how.append("KeyboardInterrupt")
            raise
        finally:
            self.left.set()


@pytest.fixture
def stall() -> Iterator[Stall]:
    hook = Stall(depth=3_000, arrived=lambda: os.kill(os.getpid(), signal.SIGINT))
    threading.setprofile(hook)
    try:
        yield hook
    finally:
        threading.setprofile(None)


def chain(length: int) -> list[mg.Value]:
    x = mg.Value(0.3)
    nodes = [x]
    for _ in range(length):
        nodes.append(nodes[-1] * 1.0001)
    return nodes


@pytest.mark.parametrize("strategy", ["naive", "memoized", "cycle_checked"])
def test_ctrl_c_stops_a_deep_walk_on_the_worker_thread_and_changes_nothing(
    stall: Stall, strategy: str
) -> None:
    nodes = chain(8_000)
    limit, stack = sys.getrecursionlimit(), threading.stack_size()
    with pytest.raises(KeyboardInterrupt):
        nodes[-1].backward(strategy=strategy)
    assert stall.left.wait(10), "the walk is still running"
    assert stall.how == ["KeyboardInterrupt"]  # stopped, not run to its end
    stall.threads[0].join(10)
    assert not stall.threads[0].is_alive()
    assert sys.getrecursionlimit() == limit
    assert threading.stack_size() == stack
    assert not any(node.has_grad for node in nodes)
    threading.setprofile(None)
    nodes[-1].backward(strategy=strategy)  # the graph still works
    assert nodes[0].grad == pytest.approx(1.0001**8_000, rel=1e-9)


STALLED_CLI = f"""
import signal, sys, threading
sys.path.insert(0, {str(ROOT / "tests")!r})
from test_interrupt import Stall
from minigrad.cli import main

def arrived():
    if sys.argv[1] == "worker":  # where the running thread takes the signal (macOS, say)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    print("deep", flush=True)

threading.setprofile(Stall(depth=20_000, arrived=arrived))
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("receiver", ["process", "worker"])
def test_ctrl_c_during_a_deep_walk_exits_the_command_line_with_status_130(receiver: str) -> None:
    """`minigrad compare` on a chain of 200,000 op nodes; SIGINT once a recursive walk on the
    worker thread is 20,000 calls deep, sent to the process (which hands it to the main
    thread, on Linux) or landing on the worker thread itself."""
    args = ["compare", "--graph", "chain", "--depth", "100000", "--mode", "scalar"]
    process = subprocess.Popen(
        [sys.executable, "-c", STALLED_CLI, receiver, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # the walk says when it is deep
            lines.append(line)
            if line.strip() == "deep":
                break
        assert lines[-1:] == ["deep\n"], lines
        if receiver == "process":
            process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, stderr = process.communicate(timeout=STALL_SECONDS / 2)
        took = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted", stderr
    assert "Traceback" not in stderr
    assert took < 15  # the stalled walk would have gone on for a minute
