"""``vtac tune``: an auto-tuner whose spaces hold valid schedules only.

:mod:`~vtac.tune.space` enumerates a workload's schedule space (vtac's knobs, or TVM's VTA
conv2d template for comparison) and sorts out the valid configurations with the compiler's own
checks (:mod:`~vtac.tune.validity`); :mod:`~vtac.tune.tuners` proposes configurations (random,
model-based as AutoTVM's XGBTuner, validity-driven initialisation, and vtac's own, initialised by
a cost model's ranking); :mod:`~vtac.tune.measure` measures them (the timed simulator, or the
cost model) on local processes or a Ray cluster; :mod:`~vtac.tune.log` keeps AutoTVM-style JSON
lines that resume a job and that ``--tuning-log`` applies.
"""

from vtac.errors import InvalidInputError


class TuneError(InvalidInputError, ValueError):
    """A workload, space or log vtac tune cannot use (the message says why)."""

    what = "tuning input"
