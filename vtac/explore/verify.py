"""Checking the explorer's answer: every workload compiled for the chosen configuration,
simulated in strict mode against the reference, and timed by the timed simulator beside the
cycles the objective modelled."""

from __future__ import annotations

from dataclasses import dataclass

import vtac
from vtac.compiler import run_module
from vtac.explore.objective import Workload
from vtac.runtime.config import VTAConfig
from vtac.runtime.target import Target
from vtac.runtime.timing import time_program


@dataclass(frozen=True)
class Check:
    workload: str
    match: bool
    model_cycles: int | None
    simulated_cycles: int

    @property
    def error(self) -> float | None:
        """Model over simulation, minus one."""
        if self.model_cycles is None:
            return None
        return self.model_cycles / self.simulated_cycles - 1


def verify(
    workloads: list[Workload],
    config: VTAConfig,
    board: str,
    model: dict[str, int | None],
) -> list[Check]:
    """Compile, simulate and time each workload on ``config``; ``model`` holds the objective's
    cycles per workload."""
    checks = []
    for workload in workloads:
        target = Target.of(config, board)
        report = run_module(vtac.parse_ir(workload.text), config=config, board=board)
        timing = time_program(config, report.compiled.image.insns, target.timing)
        checks.append(Check(workload.name, report.match, model.get(workload.name), timing.cycles))
    return checks
