"""Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "ci" (default, fast), "dev", "thorough".

Every graph the tests build is recorded for the `tape` strategy (as with MINIGRAD_STRATEGY=tape),
so that `backward(strategy="tape")` in the cross-strategy tests sweeps a real record instead of
handing every graph to `topological`. tests/test_tape.py checks the default, recording off.
"""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from minigrad.backward import recording

recording.records_by_default = True


@pytest.fixture(autouse=True)
def _record_for_tape() -> Iterator[None]:
    """Every test starts recording, whatever an earlier test's set_default_strategy left."""
    undo = recording.follow(True)
    yield
    undo()


settings.register_profile(
    "ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- CI runs every test ------------------------------------------------------------------------
# With MINIGRAD_NO_SKIPS=1 (set by .ci/run), a skipped test fails the run, unless its reason is
# one of these platform-dependent ones, which README.md names.
ALLOWED_SKIPS = (
    "no reference copy at",  # the data set beside the repository, to compare the shipped copy with
    "POSIX",  # signals and stand-in scripts on Windows
    "needs /proc",
)
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if not any(allowed in reason for allowed in ALLOWED_SKIPS):
            _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("MINIGRAD_NO_SKIPS") == "1" and _skipped:
        print(f"\n{len(_skipped)} tests skipped, and MINIGRAD_NO_SKIPS=1 forbids it:")
        for line in _skipped[:20]:
            print(f"  {line}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
