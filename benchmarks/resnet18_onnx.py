"""ResNet-18 end to end from ONNX: build, quantize, compile, run, compare with onnxruntime.

Builds torchvision's ResNet-18 as a float ONNX model with seeded random weights (no download),
quantizes it with power-of-two scales on seeded calibration images (``vtac quantize``), imports
and compiles the whole network (VTA programs and host steps), then for ``--inputs`` seeded
images runs it on the simulator and onnxruntime on the same quantized model and reports:

- the first image: vtac's result bit for bit against its numpy reference of the imported
  function, and every quantized tensor against onnxruntime's, each requantization judged on
  onnxruntime's own inputs (differences and the ties the half-up rounding meets);
- every image: the logits' differing elements (int8 steps) and whether top-1 agrees;
- cycles per layer and in total, VTA's share beside the host's;
- the conv layers' cycles beside TVM's published schedules (ResNet-18 C2-C11 on the pynq board,
  compiled through the same passes and timed in the same model, as ``vtac bench resnet18
  --compare tvm`` does).

    python benchmarks/resnet18_onnx.py --inputs 100 [--rounding half-even] [--json F]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from importlib import resources

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from vtac.api import reference_run
from vtac.bench import TVM_SCHEDULES, tvm_schedule
from vtac.compiler import compile_module
from vtac.dialects import nn
from vtac.frontends.onnx.commands import onnxruntime_runner
from vtac.frontends.onnx.importer import import_model
from vtac.frontends.onnx.models import resnet18
from vtac.frontends.onnx.network import check_tensors, compare, compile_network, format_report
from vtac.frontends.onnx.partition import partition
from vtac.frontends.onnx.quantize import quantize_model
from vtac.runtime.timing import time_program
from vtac.runtime.timing_params import BOARDS


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tvm_layers() -> dict[tuple[int, ...], tuple[str, dict[str, str], dict[str, str]]]:
    """(H, W, IC, OC, K, pad, stride) -> (C-name, the suite's row, TVM's schedule row)."""
    data = resources.files("vtac") / "data"
    rows = list(csv.DictReader((data / "resnet18_conv.csv").read_text().splitlines()))
    schedules = {
        r["layer"]: r for r in csv.DictReader((data / TVM_SCHEDULES).read_text().splitlines())
    }
    keys = ("height", "width", "in_channels", "out_channels", "kernel_h", "pad_h", "stride_h")
    return {
        tuple(int(r[k]) for k in keys): (r["name"], r, schedules[r["name"]])
        for r in rows
        if r["name"] in schedules
    }


def conv_key(op: nn.Conv2DOp) -> tuple[int, ...]:
    _, c, h, w = op.lhs.type.get_shape()  # type: ignore[attr-defined]
    o, _, k, _ = op.rhs.type.get_shape()  # type: ignore[attr-defined]
    return (h, w, c, o, k, op.padding_values[0], op.stride_values[0])


def compare_tvm(module: ModuleOp, layer_cycles: dict[str, int]) -> list[dict[str, object]]:
    """Each conv layer with a TVM schedule for its shape: vtac's cycles in the network beside
    TVM's schedule compiled for the same stage (its own epilogue) and timed in the same model."""
    known = tvm_layers()
    rows = []
    cache: dict[tuple[int, ...], int] = {}
    for step in partition(module, chain=False).steps:
        if step.kind != "vta":
            continue
        conv = next(op for op in step.function.walk() if isinstance(op, nn.Conv2DOp | nn.DenseOp))
        if not isinstance(conv, nn.Conv2DOp) or conv_key(conv) not in known:
            continue
        key = conv_key(conv)
        c_name, row, schedule = known[key]
        if key not in cache:
            log(f"compiling TVM's schedule of {c_name}")
            options = tvm_schedule(schedule, (int(row["kernel_h"]), int(row["kernel_w"])))
            baseline = compile_module(ModuleOp([step.function.clone()]), **options)  # type: ignore[arg-type]
            cache[key] = time_program(baseline.image.config, baseline.image.insns).cycles
        layer = step.nodes[0][0]
        rows.append(
            {
                "layer": layer,
                "workload": c_name,
                "vtac_cycles": layer_cycles[layer],
                "tvm_cycles": cache[key],
                "speedup": cache[key] / layer_cycles[layer],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100, help="seeded images to run (100)")
    parser.add_argument("--calibration", type=int, default=8, help="calibration images (8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and images")
    parser.add_argument("--rounding", choices=("half-up", "half-even"), default="half-up")
    parser.add_argument("--width", type=int, default=64, help="channels of the first stage")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--no-tvm", action="store_true", help="skip the TVM comparison")
    parser.add_argument("--save", metavar="DIR", help="also write the float and QDQ models here")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    size = args.image_size
    rng = np.random.default_rng(args.seed + 1)
    shape = (1, 3, size, size)

    log("building ResNet-18 and quantizing it")
    model = resnet18(args.seed, args.width, size, args.classes)
    calibration = rng.standard_normal((args.calibration, *shape)).astype(np.float32)
    quantized = quantize_model(model, calibration)
    if args.save:
        from pathlib import Path

        Path(args.save).mkdir(parents=True, exist_ok=True)
        Path(args.save, "resnet18.onnx").write_bytes(model.SerializeToString())
        Path(args.save, "resnet18_qdq.onnx").write_bytes(quantized.SerializeToString())
    imported = import_model(quantized, rounding=args.rounding)
    compile_start = time.perf_counter()
    network = compile_network(imported, progress=log)
    compile_seconds = time.perf_counter() - compile_start
    ort = onnxruntime_runner(quantized, sorted(set(imported.tensors.values())))
    assert ort is not None, "this benchmark needs onnxruntime"

    images = rng.standard_normal((args.inputs, *shape)).astype(np.float32)
    output = imported.outputs[0].name
    differing = largest = top1_same = 0
    first = None
    sim_seconds = 0.0
    for i, image in enumerate(images):
        feeds = {"input": image}
        run = network.run(feeds)
        sim_seconds += run.sim_seconds
        theirs = ort(feeds)
        (differ, most) = compare(run.outputs, theirs, network)[output]
        differing += differ
        largest = max(largest, most)
        same = int(np.argmax(run.outputs[output]) == np.argmax(theirs[output]))
        top1_same += same
        verdict = "same" if same else "DIFFERENT"
        log(f"image {i}: {differ} logits differ (by {most} at most), top-1 {verdict}")
        if first is None:
            quantized_inputs = network.quantized_inputs(feeds)
            (want,) = reference_run(imported.module, quantized_inputs)
            exact = bool(np.array_equal(want, run.values[imported.outputs[0].value]))
            checks = check_tensors(imported.module, quantized_inputs, imported.tensors, theirs)
            first = (run, exact, checks)
    assert first is not None
    run, exact, checks = first
    print(format_report(network, run))
    print()
    per_image = sim_seconds / args.inputs
    print(f"compile time {compile_seconds:.1f} s; simulation {per_image:.2f} s per image")
    print(f"image 0, vtac against its numpy reference: {'bit-exact' if exact else 'MISMATCH'}")
    tensors = len(checks)
    tensor_diffs = sum(c.differ for c in checks)
    ties = sum(c.ties for c in checks)
    outside = sum(c.outside_ties for c in checks)
    worst = max((c.largest for c in checks), default=0)
    print(
        f"image 0, {tensors} quantized tensors against onnxruntime's (each on onnxruntime's "
        f"inputs): {tensor_diffs} of {sum(c.elements for c in checks)} elements differ, by "
        f"{worst} at most; {ties} ties rounded up on VTA; {outside} differences outside ties"
    )
    print(
        f"{args.inputs} images, logits against onnxruntime ({args.rounding}): {differing} of "
        f"{args.inputs * args.classes} differ (by {largest} int8 steps at most); top-1 identical "
        f"on {top1_same} of {args.inputs}"
    )
    layer_cycles = {t.name: t.cycles for t in run.times if t.kind == "vta"}
    rows = [] if args.no_tvm else compare_tvm(imported.module, layer_cycles)
    if rows:
        print()
        print(
            f"{'layer':<24} {'workload':<8} {'vtac cycles':>12} {'TVM cycles':>12} {'speedup':>8}"
        )
        for r in rows:
            print(
                f"{r['layer']:<24} {r['workload']:<8} {r['vtac_cycles']:>12} "
                f"{r['tvm_cycles']:>12} {r['speedup']:>8.2f}"
            )
        ours = sum(int(r["vtac_cycles"]) for r in rows)
        theirs_total = sum(int(r["tvm_cycles"]) for r in rows)
        print(
            f"conv layers with a TVM schedule ({len(rows)}): vtac {ours} cycles, TVM's schedules "
            f"{theirs_total} ({theirs_total / ours:.2f}x)"
        )
    total = sum(t.cycles for t in run.times)
    host = sum(t.seconds for t in run.times if t.kind == "host")
    clock = BOARDS[network.board].clock_mhz * 1e6
    print(f"total time: {time.perf_counter() - start:.0f} s")
    if args.json:
        figures = {
            "rounding": args.rounding,
            "inputs": args.inputs,
            "reference_bit_exact": exact,
            "tensor_checks": [c.__dict__ for c in checks],
            "logits_differing": differing,
            "logits_largest_difference": largest,
            "top1_identical": top1_same,
            "vta_cycles": total,
            "vta_ms": total / clock * 1e3,
            "host_ms_this_machine": host * 1e3,
            "layers": [t.__dict__ for t in run.times],
            "tvm": rows,
            "compile_s": compile_seconds,
        }
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0 if exact and outside == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
