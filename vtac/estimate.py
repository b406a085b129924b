"""``vtac estimate``: the fast performance model's cycles for an nn function, nothing emitted.

The function is planned as ``vtac compile`` plans it (vtac-isel, vtac-layout and vtac-tile's
search, with the same forced choices), then the chosen schedules are estimated by
:class:`vtac.runtime.fast_model.FastModel`: total cycles, the busy and stalled cycles of the
load, compute and store modules and of the shared DRAM port, the roofline bound, and the time
the estimate took (the planning's time beside it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from vtac.backends.reference import find_function
from vtac.dialects.common import CONFIG_ATTR, config_attr
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.schedule import TileOptions, check_chain, plan
from vtac.planning.contraction import Kernel, analyse_stages, kernel_stages, kernels, workload_of
from vtac.planning.tiling import Schedule
from vtac.runtime.config import VTAConfig
from vtac.runtime.cost_model import Estimate
from vtac.runtime.fast_model import FastModel
from vtac.runtime.target import Target


@dataclass
class Planned:
    """The stages of a function with the schedules vtac-tile chooses, and the planning time."""

    stages: list[tuple[Kernel, Schedule]]
    seconds: float
    roofline: int
    roofline_nominal: int


def plan_function(
    module: ModuleOp,
    target: Target,
    *,
    embedding: str = "auto",
    tiling: TileOptions | None = None,
    name: str | None = None,
) -> Planned:
    """The stages of the function ``name`` (or the only one) and their schedules, chosen as
    ``vtac compile`` chooses them on ``target`` (``module`` is left unchanged)."""
    start = time.perf_counter()
    function = find_function(module, name)
    kernel_stages(function)
    work = ModuleOp([function.clone()])
    work.attributes.update(module.attributes)
    work.attributes[CONFIG_ATTR] = config_attr(target.config)
    ctx = Context()
    InstructionSelection(embedding=embedding, board=target.board).apply(ctx, work)
    Layout().apply(ctx, work)
    (kernel_function,) = kernels(work)
    stages = analyse_stages(kernel_function)
    if len(stages) > 1:
        check_chain(stages)
    planned = []
    options = tiling or TileOptions()
    for index, kernel in enumerate(stages):
        last = index == len(stages) - 1
        kept = {r for r in kernel.arguments if kernel.source(r) == "stage"} | set(
            () if last else ("out",)
        )
        if len(stages) > 1:
            blocked = dataclasses.replace(kernel.blocked, kept=frozenset(kept))
            kernel = dataclasses.replace(kernel, blocked=blocked)
        schedule, laid_out = plan(kernel, options, target)
        planned.append((laid_out, schedule))
    seconds = time.perf_counter() - start
    work_load = workload_of(function)
    compute = -(-work_load.macs // target.config.macs_per_gemm_uop)
    bound = math.ceil(work_load.min_dram_bytes / target.timing.stream_bytes_per_cycle)
    nominal = math.ceil(work_load.min_dram_bytes / target.timing.bus_bytes)
    return Planned(planned, seconds, max(compute, bound), max(compute, nominal))


def estimate_function(
    module: ModuleOp,
    config: VTAConfig | None = None,
    board: str = "pynq",
    **options: object,
) -> tuple[Planned, Estimate]:
    """The planned stages and the fast model's estimate of them."""
    target = Target.of(config, board)
    planned = plan_function(module, target, **options)  # type: ignore[arg-type]
    estimate = FastModel(target).estimate(planned.stages)
    assert estimate is not None  # a plan the search chose can be built
    return planned, estimate


def report(planned: Planned, estimate: Estimate) -> dict[str, object]:
    """The estimate as a JSON-able record."""
    return {
        "est_cycles": estimate.cycles,
        "busy": estimate.busy,
        "stall": estimate.stall,
        "port_busy": estimate.port_busy,
        "roofline_cycles": planned.roofline,
        "roofline_cycles_8_bytes": planned.roofline_nominal,
        "est_s": estimate.seconds,
        "plan_s": planned.seconds,
        "schedules": [str(s) for _, s in planned.stages],
    }


def print_report(record: dict[str, object]) -> None:
    for index, schedule in enumerate(record["schedules"]):  # type: ignore[arg-type]
        print(f"stage {index} schedule: {schedule}")
    print(f"estimated cycles: {record['est_cycles']}")
    busy, stall = record["busy"], record["stall"]
    for module in ("load", "compute", "store"):
        print(f"  {module}: busy {busy[module]}, stalled {stall[module]}")  # type: ignore[index]
    print(f"  dram port: busy {record['port_busy']}")
    print(
        f"roofline: {record['roofline_cycles']} cycles (the DMA's calibrated rate), "
        f"{record['roofline_cycles_8_bytes']} (8 bytes per cycle)"
    )
    print(f"estimate time: {record['est_s'] * 1e3:.2f} ms (planning: {record['plan_s']:.2f} s)")


def run(module: ModuleOp, config: VTAConfig | None, args: argparse.Namespace, options: dict) -> int:
    planned, estimate = estimate_function(module, config, args.board, name=args.function, **options)
    record = report(planned, estimate)
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print_report(record)
    return 0
