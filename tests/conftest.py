"""Hypothesis profiles: ``ci`` (the default, bounded for the test budget) and ``long`` (10,000
cases per property, or ``VTAC_FUZZ_EXAMPLES``). Choose with ``pytest --hypothesis-profile=long``
or ``VTAC_FUZZ_PROFILE=long``."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("VTAC_FUZZ_EXAMPLES", "10000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("VTAC_FUZZ_PROFILE", "ci"))
