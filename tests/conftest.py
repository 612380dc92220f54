"""Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: "ci" (default, fast), "dev", "thorough".

Every graph the tests build is recorded for the `tape` strategy (as with MINIGRAD_STRATEGY=tape),
so that `backward(strategy="tape")` in the cross-strategy tests sweeps a real record instead of
handing every graph to `topological`. tests/test_tape.py checks the default, recording off.
"""

import os

from hypothesis import HealthCheck, settings

from minigrad.backward import recording

recording.records_by_default = True

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
