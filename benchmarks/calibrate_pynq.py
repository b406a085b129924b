"""Calibrate the timing model's memory parameters against the pynq board.

TVM's tuner published, for ResNet-18's C2 to C11 on the default configuration, its schedules and
the time each took on the pynq board (``vtac/data/tvm_tophub_resnet18_pynq.csv``). This script
compiles those schedules into instruction streams (``vtac bench``'s TVM baseline: the fixed
embedding, TVM's tile splits, loop order and virtual threads), times them with the model for a
grid of DMA parameters, and reports the fit that minimises the worst relative error over the
layers: the sustained beats per cycle within a DMA row (``bus_efficiency``) and the latency of a
row (``dram_row_latency``). Everything else keeps the hardware design's costs (GEMM one
micro-op per cycle, ALU two). The fitted values are the pynq defaults of
:class:`vtac.runtime.timing_params.TimingParams`.

    python benchmarks/calibrate_pynq.py [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

import vtac
from vtac.bench import TVM_SCHEDULES, _data, _rows, _workload, tvm_schedule
from vtac.compiler import compile_module
from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Instruction
from vtac.runtime.timing import time_program
from vtac.runtime.timing_params import TimingParams

NOMINAL = TimingParams(bus_efficiency=1.0)


def tvm_programs(config: VTAConfig) -> dict[str, tuple[list[Instruction], float]]:
    """Layer -> (TVM's schedule as instructions, the board's measured milliseconds)."""
    schedules = {r["layer"]: r for r in csv.DictReader(_data(TVM_SCHEDULES).splitlines())}
    programs = {}
    for row in _rows("resnet18"):
        name, text = _workload(row)
        if name in schedules:
            kernel = (int(row["kernel_h"]), int(row["kernel_w"]))
            options = tvm_schedule(schedules[name], kernel)
            compiled = compile_module(vtac.parse_ir(text), config, **options)  # type: ignore[arg-type]
            measured = float(schedules[name]["measured_ms_pynq_100mhz"])
            programs[name] = (compiled.image.insns, measured)
    return programs


def errors(
    programs: dict[str, tuple[list[Instruction], float]], config: VTAConfig, params: TimingParams
) -> dict[str, float]:
    """Relative error of the model's time for each layer (positive: the model is slower)."""
    result = {}
    for name, (insns, measured) in programs.items():
        modelled = time_program(config, insns, params).seconds() * 1e3
        result[name] = modelled / measured - 1
    return result


def fit(
    programs: dict[str, tuple[list[Instruction], float]], config: VTAConfig
) -> tuple[TimingParams, dict[str, float]]:
    """The grid point with the smallest worst error (then the smallest RMS error)."""
    best: tuple[tuple[float, float], TimingParams, dict[str, float]] | None = None
    for efficiency in np.round(np.arange(0.30, 1.001, 0.01), 2):
        for latency in range(0, 129, 4):
            params = TimingParams(bus_efficiency=float(efficiency), dram_row_latency=latency)
            errs = errors(programs, config, params)
            values = np.array(list(errs.values()))
            key = (float(np.abs(values).max()), float(np.sqrt((values**2).mean())))
            if best is None or key < best[0]:
                best = (key, params, errs)
    assert best is not None
    return best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the per-layer table and the fit to this file")
    args = parser.parse_args(argv)
    config = VTAConfig()
    programs = tvm_programs(config)
    params, fitted = fit(programs, config)
    nominal = errors(programs, config, NOMINAL)
    shipped = errors(programs, config, TimingParams())
    print(
        f"fit: bus_efficiency={params.bus_efficiency} dram_row_latency={params.dram_row_latency}"
        f" (shipped: {TimingParams().bus_efficiency}, {TimingParams().dram_row_latency})"
    )
    print(
        f"{'layer':<6} {'measured_ms':>11} {'nominal_err':>11} {'fit_err':>8} {'shipped_err':>11}"
    )
    rows = []
    for name, (_, measured) in programs.items():
        print(
            f"{name:<6} {measured:>11.2f} {nominal[name]:>+11.1%} {fitted[name]:>+8.1%} "
            f"{shipped[name]:>+11.1%}"
        )
        rows.append(
            {
                "layer": name,
                "measured_ms": measured,
                "nominal_error": nominal[name],
                "fit_error": fitted[name],
                "shipped_error": shipped[name],
            }
        )
    worst = max(abs(v) for v in shipped.values())
    print(f"worst error with the shipped parameters: {worst:.1%}")
    if args.json:
        fit_json = {
            "bus_efficiency": params.bus_efficiency,
            "dram_row_latency": params.dram_row_latency,
        }
        Path(args.json).write_text(json.dumps({"fit": fit_json, "layers": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
