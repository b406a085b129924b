"""The ``vtac`` subcommands for ONNX models: ``import``, ``quantize``, and ``run``, ``compile``
and ``sim`` of whole networks (``vtac.cli`` dispatches here by file suffix or image kind)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vtac.cli import named_arrays
from vtac.frontends.onnx import OnnxError, require_onnx


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from vtac.runtime.config import resolve_config

    return resolve_config(args.config) if getattr(args, "config", None) else None


def cmd_import(args: argparse.Namespace) -> int:
    """Write the nn function of a quantized ONNX model."""
    from vtac.api import print_ir
    from vtac.frontends.onnx.importer import import_model

    imported = import_model(args.file, rounding=args.rounding)
    lines = [f"// {args.file}: imported by vtac (rounding {args.rounding})"]
    for kind, boundaries in (("input", imported.inputs), ("output", imported.outputs)):
        for b in boundaries:
            scale = "" if b.exp is None else f" = %{b.value} * 2**{b.exp}"
            scale += f" / {b.divisor}" if b.divisor != 1 else ""
            lines.append(f"// graph {kind} {b.name!r}: {b.dtype} {list(b.shape)}{scale}")
    text = "\n".join(lines) + "\n" + print_ir(imported.module)
    try:
        Path(args.output).write_text(text)
    except OSError as err:
        raise OnnxError(f"cannot write {args.output}: {err.strerror}") from None
    ops = sum(1 for _ in imported.function.walk()) - 1
    print(f"wrote {args.output}: @{imported.function.sym_name.data}, {ops} ops")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    """Quantize a float ONNX model with power-of-two scales from calibration inputs."""
    from vtac.frontends.onnx.quantize import quantize_model

    try:
        calibration = np.load(args.calibrate, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise OnnxError(f"--calibrate: cannot read {args.calibrate}: {err}") from None
    model = quantize_model(args.file, calibration)
    try:
        Path(args.output).write_bytes(model.SerializeToString())
    except OSError as err:
        raise OnnxError(f"cannot write {args.output}: {err.strerror}") from None
    print(f"wrote {args.output}")
    return 0


def _random_feeds(network, seed: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    feeds = {}
    for b in network.inputs:
        if b.dtype == "float32":
            feeds[b.name] = rng.standard_normal(b.shape).astype(np.float32)
        else:
            feeds[b.name] = rng.integers(-128, 128, b.shape).astype(np.int8)
    return feeds


def onnxruntime_runner(
    model: str | Path | Any, tensors: Sequence[str] = ()
) -> Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None:
    """A function running the model on onnxruntime, giving the graph outputs by name and the
    int8 ``tensors`` inside the graph (None when onnxruntime is not installed). ``model`` is a
    path or a ``ModelProto``."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    from vtac.frontends.onnx.importer import load_model

    proto = load_model(model)
    if tensors:
        onnx = require_onnx()
        probe = onnx.ModelProto()
        probe.CopyFrom(proto)
        for name in tensors:
            info = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.INT8, None)
            probe.graph.output.append(info)
        proto = probe
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in session.get_outputs()]

    def run(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, feeds), strict=True))

    return run


#: Options of ``vtac run``/``compile`` that force one function's schedule: refused for a network.
FORCED = ("function", "tiles", "vthreads", "order", "acc_threads", "head", "tail", "keep_layouts")


def _compile(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from vtac.frontends.onnx.importer import import_model

    forced = [f"--{name.replace('_', '-')}" for name in FORCED if getattr(args, name, None)]
    if forced or getattr(args, "epilogue", "auto") != "auto":
        forced += ["--epilogue"] if getattr(args, "epilogue", "auto") != "auto" else []
        raise OnnxError(
            f"{', '.join(forced)}: forced choices apply to one function; an ONNX model compiles "
            "each of its programs with the compiler's own choices (--embedding and --config apply)"
        )
    from vtac.frontends.onnx.network import compile_network

    imported = import_model(args.file, rounding=args.rounding)
    start = time.perf_counter()
    network = compile_network(
        imported,
        _config(args),
        embedding=args.embedding,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    return imported, network, time.perf_counter() - start


def run_onnx(args: argparse.Namespace) -> int:
    """``vtac run MODEL.onnx``: compile, simulate the whole network, check it against the
    reference (bit for bit) and onnxruntime (when installed)."""
    from vtac.api import reference_run
    from vtac.frontends.onnx.network import compare, format_report, half_up_ties

    imported, network, seconds = _compile(args)
    feeds = named_arrays(args.input, "--input") or _random_feeds(network, args.seed)
    run = network.run(feeds)
    quantized = network.quantized_inputs(feeds)
    reference = reference_run(imported.module, quantized)
    values = [run.values[b.value] for b in imported.outputs]
    match = all(np.array_equal(a, b) for a, b in zip(values, reference, strict=True))
    print("match" if match else "mismatch", "(the numpy reference of the imported function)")
    runner = onnxruntime_runner(args.file)
    if runner is not None:
        ort_outputs = runner(feeds)
        for name, (differ, largest) in compare(run.outputs, ort_outputs, network).items():
            verdict = "equal" if differ == 0 else f"{differ} elements differ, by {largest} at most"
            print(f"onnxruntime, output {name!r}: {verdict} (int8 steps)")
        if args.rounding == "half-up":
            ties = half_up_ties(imported.module, quantized)
            print(f"ties rounded up on VTA where ONNX rounds to even: {ties}")
    else:
        print("onnxruntime is not installed: checked against vtac's reference only")
    print(format_report(network, run))
    print(f"compile time: {seconds:.2f} s, simulation time: {run.sim_seconds:.2f} s")
    return 0 if match else 1


def compile_onnx(args: argparse.Namespace) -> int:
    """``vtac compile MODEL.onnx -o DIR``: the network image."""
    _, network, seconds = _compile(args)
    try:
        network.save(args.output)
    except OSError as err:
        raise OnnxError(f"cannot write {args.output}: {err.strerror}") from None
    hosts = sum(step.kind == "host" for step in network.steps)
    print(f"{len(network.programs)} VTA programs, {hosts} host steps, compile time {seconds:.2f} s")
    print(f"wrote {args.output}")
    return 0


def sim_network(args: argparse.Namespace) -> int:
    """``vtac sim DIR`` on a network image: run it, write the graph's outputs."""
    from vtac.frontends.onnx.network import Network, format_report

    network = Network.load(args.image)
    feeds = named_arrays(args.input, "--input")
    run = network.run(feeds, strict=args.strict)
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, array in run.outputs.items():
            np.save(out / f"{name.replace('/', '_')}.npy", array)
    if args.cycles or args.stats:
        print(format_report(network, run))
    status = 0
    for spec in args.check:
        name, _, file = spec.partition("=")
        want = np.load(file, allow_pickle=False)
        got = run.outputs.get(name)
        same = got is not None and got.shape == want.shape and np.array_equal(got, want)
        print(f"{name}: {'match' if same else 'mismatch'}")
        status |= not same
    return status
