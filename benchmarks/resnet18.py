"""ResNet-18's convolutions (C1 to C11) with the requantizing epilogue: compile, simulate, check
against the reference, and report modelled cycles against the workload's roofline.

    python benchmarks/resnet18.py [--csv PATH] [--config NAME] [--layers C1,C2] [--json out.json]

``roofline`` is max(useful MACs / MACs per cycle, minimum DRAM bytes / bus bytes per cycle), where
the minimum bytes move every input element the convolution reads (a 1x1 stride-2 layer reads a
quarter of its input), every weight, bias and output byte once. ``util`` is the lane
utilisation of the chosen embedding, ``util_fixed`` that of TVM's fixed channel packing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np

import vtac
from vtac.compiler import compile_module, run_module
from vtac.runtime.config import VTAConfig, resolve_config
from vtac.runtime.timing_params import TimingParams
from vtac.workloads import conv

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "workloads" / "resnet18_conv.csv"


def read_rows(size: int, kernel: int, pad: int, stride: int) -> int:
    """Input rows (or columns) a convolution actually reads."""
    out = (size + 2 * pad - kernel) // stride + 1
    touched = np.zeros(size, dtype=bool)
    for o in range(out):
        lo, hi = o * stride - pad, o * stride - pad + kernel
        touched[max(lo, 0) : max(min(hi, size), 0)] = True
    return int(touched.sum())


def roofline_cycles(layer: dict[str, int], config: VTAConfig, timing: TimingParams) -> int:
    n, c, h, w = layer["batch"], layer["in_channels"], layer["height"], layer["width"]
    k, r, s = layer["out_channels"], layer["kernel_h"], layer["kernel_w"]
    oh = (h + 2 * layer["pad_h"] - r) // layer["stride_h"] + 1
    ow = (w + 2 * layer["pad_w"] - s) // layer["stride_w"] + 1
    macs = n * k * oh * ow * c * r * s
    rows = read_rows(h, r, layer["pad_h"], layer["stride_h"])
    cols = read_rows(w, s, layer["pad_w"], layer["stride_w"])
    data = n * c * rows * cols + k * c * r * s + 4 * k + n * k * oh * ow
    return max(math.ceil(macs / config.macs_per_gemm_uop), math.ceil(data / timing.bus_bytes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", default=str(DEFAULT_CSV), help="layer CSV (resnet18_conv.csv columns)"
    )
    parser.add_argument("--config", help="hardware configuration (default: VTA's default)")
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    config = resolve_config(args.config)
    timing = TimingParams()
    with open(args.csv) as f:
        layers = [
            {k: (v if k == "name" else int(v)) for k, v in row.items()} for row in csv.DictReader(f)
        ]
    if args.layers:
        wanted = set(args.layers.split(","))
        layers = [layer for layer in layers if layer["name"] in wanted]
    print(
        f"{'layer':<6} {'macs':>11} {'cycles':>9} {'roofline':>9} {'eff':>5} {'util':>6} "
        f"{'util_fixed':>10} {'insns':>6} {'compile_s':>9} {'sim_s':>6} correct"
    )
    rows = []
    for layer in layers:
        text = conv(
            layer["in_channels"],
            layer["height"],
            layer["out_channels"],
            layer["kernel_h"],
            layer["pad_h"],
            layer["stride_h"],
            layer["batch"],
        )
        start = time.perf_counter()
        report = run_module(vtac.parse_ir(text), config=config)
        fixed = compile_module(vtac.parse_ir(text), config, embedding="fixed").embedding
        compiled = report.compiled
        roof = roofline_cycles(layer, config, timing)
        row = {
            "workload": layer["name"],
            "macs": compiled.embedding.useful_macs,
            "cycles": report.timing.cycles,
            "roofline_cycles": roof,
            "efficiency": roof / report.timing.cycles,
            "utilization": compiled.embedding.utilization,
            "utilization_fixed": fixed.utilization,
            "instructions": len(compiled.image.insns),
            "dram_bytes": sum(report.timing.dram_bytes.values()),
            "compile_s": round(compiled.seconds, 3),
            "sim_s": round(report.sim_seconds, 3),
            "correct": report.match,
            "embedding": str(compiled.embedding),
            "schedule": str(compiled.schedule),
            "wall_s": round(time.perf_counter() - start, 3),
        }
        rows.append(row)
        print(
            f"{row['workload']:<6} {row['macs']:>11} {row['cycles']:>9} {roof:>9} "
            f"{row['efficiency']:>5.2f} {row['utilization']:>6.3f} "
            f"{row['utilization_fixed']:>10.3f} {row['instructions']:>6} "
            f"{row['compile_s']:>9.2f} {row['sim_s']:>6.2f} {row['correct']}",
            flush=True,
        )
    effs = [r["efficiency"] for r in rows if r["workload"] != "C1"]
    if effs:
        geomean = math.exp(sum(math.log(e) for e in effs) / len(effs))
        print(f"geometric-mean roofline efficiency (without C1): {geomean:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0 if all(r["correct"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
