"""Whole networks: the steps of a partition compiled, run, reported, saved and loaded.

A network runs its steps in order over named values: a VTA program is simulated bit-exactly
(strict mode) with its inputs packed into its image and its result unpacked, a host step runs on
numpy (the reference backend). Float graph inputs are quantized on the host first
(``round_half_even(x / 2**e)`` saturated to int8, as ONNX's QuantizeLinear) and float outputs
dequantized last; int8 graph inputs and outputs are taken and given as they are.

A network image is a directory: ``network.json`` (format, the graph's inputs and outputs with
their names, NCHW shapes, dtypes and scales, and the steps in order: each VTA program's image
folder, its inputs and output by network value, its modelled cycles per stage; each host step's
function, inputs and outputs), one program image per VTA program under ``programs/``, and
``host.mlir``, the host steps as nn functions.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from vtac.backends.reference import evaluate, run_function
from vtac.compiler import compile_module
from vtac.dialects import nn
from vtac.frontends.onnx import OnnxError
from vtac.frontends.onnx.importer import Boundary, ImportedModel
from vtac.frontends.onnx.partition import Step, partition
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ProgramImage
from vtac.runtime.isa import Load, MemType
from vtac.runtime.simulator import simulate
from vtac.runtime.timing import TimingReport, time_program
from vtac.runtime.timing_params import BOARDS, TimingParams

FORMAT = "vtac-network"
VERSION = 1


@dataclass
class Program:
    """A compiled VTA program of a network: its image, its stages' modelled cycles and MACs."""

    image: ProgramImage
    stage_cycles: list[int]
    stage_macs: list[int]
    compile_seconds: float = 0.0
    plans: list[str] = field(default_factory=list)

    @property
    def cycles(self) -> int:
        return sum(self.stage_cycles)


@dataclass
class StepTime:
    """What one step cost in a run: modelled VTA cycles, or host seconds (numpy, this machine)."""

    kind: str
    name: str
    cycles: int
    macs: int
    seconds: float


@dataclass
class NetworkRun:
    """The outputs of a run by graph output name, every network value, and the cost per step
    (per stage for VTA programs)."""

    outputs: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    times: list[StepTime]
    sim_seconds: float


def stage_cycles(insns: list[Any], timing: TimingReport, stages: int) -> list[int]:
    """The program's cycles split between its stages at the compute no-ops that separate them
    (all of them to the first stage when the barriers cannot be told apart)."""
    barriers = [
        i
        for i, insn in enumerate(insns)
        if isinstance(insn, Load) and insn.memory_type == MemType.UOP and insn.x_size == 0
    ]
    if stages == 1 or len(barriers) < stages:
        return [timing.cycles] + [0] * (stages - 1)
    ends = [timing.spans[i][1] for i in barriers[: stages - 1]] + [timing.cycles]
    return [b - a for a, b in zip([0, *ends[:-1]], ends, strict=True)]


class Network:
    """The steps of a network (from :func:`compile_network` or :meth:`load`)."""

    def __init__(
        self,
        steps: list[Step],
        programs: dict[int, Program],
        inputs: list[Boundary],
        outputs: list[Boundary],
        board: str,
    ) -> None:
        self.steps = steps
        self.programs = programs
        self.inputs = inputs
        self.outputs = outputs
        self.board = board

    @property
    def params(self) -> TimingParams:
        """The timing parameters of the board the cycles are modelled for."""
        return BOARDS[self.board]

    # -- running

    def quantized_inputs(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The int8 values of the graph inputs ``feeds`` (by ONNX name)."""
        given = set(feeds)
        names = [b.name for b in self.inputs]
        if given != set(names):
            raise OnnxError(
                f"the network takes {', '.join(names)}; got {', '.join(sorted(given)) or 'none'}"
            )
        values = {}
        for b in self.inputs:
            array = np.asarray(feeds[b.name])
            if array.shape != b.shape:
                raise OnnxError(f"input {b.name!r}: expected shape {b.shape}, got {array.shape}")
            if b.dtype == "float32":
                assert b.exp is not None
                scaled = np.rint(array.astype(np.float32) / np.float32(2.0**b.exp))
                values[b.value] = np.clip(scaled, -128, 127).astype(np.int8)
            else:
                if array.dtype != np.int8:
                    raise OnnxError(f"input {b.name!r} is int8, got {array.dtype}")
                values[b.value] = array
        return values

    def graph_outputs(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The graph outputs (by ONNX name, the graph's dtypes) of the network values."""
        result = {}
        for b in self.outputs:
            value = values[b.value]
            if b.dtype == "float32":
                assert b.exp is not None
                real = value.astype(np.float64) * 2.0**b.exp / b.divisor
                result[b.name] = real.astype(np.float32)
            else:
                result[b.name] = value
        return result

    def run(self, feeds: dict[str, np.ndarray], strict: bool = True) -> NetworkRun:
        """Run every step on the graph inputs ``feeds`` (by ONNX name)."""
        values = self.quantized_inputs(feeds)
        times: list[StepTime] = []
        sim_seconds = 0.0
        for index, step in enumerate(self.steps):
            args = [values[name] for name in step.inputs]
            if step.kind == "vta":
                program = self.programs[index]
                start = time.perf_counter()
                values[step.outputs[0]] = _simulate(program.image, step, args, strict)
                sim_seconds += time.perf_counter() - start
                for nodes, cycles, macs in zip(
                    step.nodes, program.stage_cycles, program.stage_macs, strict=True
                ):
                    times.append(StepTime("vta", nodes[0], cycles, macs, 0.0))
            else:
                start = time.perf_counter()
                results = run_function(step.function, args)
                seconds = time.perf_counter() - start
                values.update(zip(step.outputs, results, strict=True))
                times.append(StepTime("host", step.name, 0, 0, seconds))
        return NetworkRun(self.graph_outputs(values), values, times, sim_seconds)

    # -- saving and loading

    def save(self, directory: str | Path) -> None:
        """Write the network image (see the module doc)."""
        from vtac.api import print_ir

        root = Path(directory)
        (root / "programs").mkdir(parents=True, exist_ok=True)
        steps = []
        host = []
        for index, step in enumerate(self.steps):
            entry: dict[str, Any] = {
                "kind": step.kind,
                "name": step.name,
                "nodes": step.nodes,
                "inputs": step.inputs,
                "outputs": step.outputs,
            }
            if step.kind == "vta":
                program = self.programs[index]
                folder = f"programs/{index:03d}"
                program.image.save(root / folder)
                entry |= {
                    "image": folder,
                    "stage_cycles": program.stage_cycles,
                    "stage_macs": program.stage_macs,
                }
            else:
                entry["function"] = step.function.sym_name.data
                host.append(step.function.clone())
            steps.append(entry)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "board": self.board,
            "inputs": [_boundary_json(b) for b in self.inputs],
            "outputs": [_boundary_json(b) for b in self.outputs],
            "steps": steps,
        }
        (root / "network.json").write_text(json.dumps(manifest, indent=1) + "\n")
        (root / "host.mlir").write_text(print_ir(ModuleOp(host)))

    @classmethod
    def load(cls, directory: str | Path) -> Network:
        """Read a network image written by :meth:`save` (an :class:`OnnxError` says what is
        wrong with it)."""
        from vtac.api import read_ir

        root = Path(directory)
        try:
            manifest = json.loads((root / "network.json").read_text())
        except (OSError, ValueError) as err:
            raise OnnxError(f"{root}: not a network image ({err})") from None
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise OnnxError(f"{root}/network.json: not a {FORMAT} version {VERSION} manifest")
        host_module = read_ir(root / "host.mlir")
        functions = {op.sym_name.data: op for op in host_module.ops if isinstance(op, func.FuncOp)}
        steps: list[Step] = []
        programs: dict[int, Program] = {}
        try:
            for index, entry in enumerate(manifest["steps"]):
                if entry["kind"] == "vta":
                    image = ProgramImage.load(root / entry["image"])
                    programs[index] = Program(image, entry["stage_cycles"], entry["stage_macs"])
                    function = None
                else:
                    function = functions[entry["function"]]
                steps.append(
                    Step(
                        entry["kind"],
                        entry["name"],
                        function,
                        entry["inputs"],
                        entry["outputs"],
                        entry["nodes"],
                    )
                )
            inputs = [_boundary_of(b) for b in manifest["inputs"]]
            outputs = [_boundary_of(b) for b in manifest["outputs"]]
            board = manifest["board"]
            if board not in BOARDS:
                raise KeyError(f"board {board!r}")
        except (KeyError, TypeError) as err:
            raise OnnxError(f"{root}/network.json: malformed manifest ({err!r})") from None
        return cls(steps, programs, inputs, outputs, board)


def _boundary_json(b: Boundary) -> dict[str, Any]:
    return {
        "name": b.name,
        "shape": list(b.shape),
        "dtype": b.dtype,
        "value": b.value,
        "exp": b.exp,
        "divisor": b.divisor,
    }


def _boundary_of(entry: dict[str, Any]) -> Boundary:
    return Boundary(
        entry["name"],
        tuple(entry["shape"]),
        entry["dtype"],
        entry["value"],
        entry["exp"],
        entry["divisor"],
    )


def _simulate(image: ProgramImage, step: Step, args: list[np.ndarray], strict: bool) -> np.ndarray:
    dram = image.dram.copy()
    for name, array in zip(step.inputs, args, strict=True):
        image.set_input(name, array, dram)
    simulate(image.config, image.insns, dram, base=image.base, strict=strict)
    output = next(b.name for b in image.buffers if b.role == "output")
    return image.read_output(output, dram)


def compile_network(
    imported: ImportedModel,
    config: VTAConfig | None = None,
    *,
    chain: bool = True,
    board: str = "pynq",
    progress: Callable[[str], None] | None = None,
    **options: Any,
) -> Network:
    """Partition the imported model and compile each VTA program (``options`` as for
    :func:`vtac.compiler.compile_module`); cycles are the timed model's on ``board``."""
    parts = partition(imported.module, chain=chain)
    params = BOARDS[board]
    programs: dict[int, Program] = {}
    count = sum(step.kind == "vta" for step in parts.steps)
    done = 0
    for index, step in enumerate(parts.steps):
        if step.kind != "vta":
            continue
        done += 1
        if progress is not None:
            progress(f"[{done}/{count}] compiling {step.name}")
        compiled = compile_module(ModuleOp([step.function.clone()]), config, **options)
        timing = time_program(compiled.image.config, compiled.image.insns, params)
        plans = [f"{plan.embedding} {plan.schedule}" for plan in compiled.stages]
        programs[index] = Program(
            compiled.image,
            stage_cycles(compiled.image.insns, timing, len(compiled.stages)),
            [plan.embedding.useful_macs for plan in compiled.stages],
            compiled.seconds,
            plans,
        )
    return Network(parts.steps, programs, imported.inputs, imported.outputs, board)


def half_up_ties(module: ModuleOp, inputs: dict[str, np.ndarray]) -> int:
    """How many requantizations of an imported half-up module round a tie up where ONNX rounds
    it to even (the elements where the two roundings differ, before propagation): at every
    ``nn.shr`` by ``k``, whose input ``u`` already holds the added half, those with
    ``u mod 2**k == 0`` and ``u >> k`` odd."""
    from vtac.backends.reference import find_function

    function = find_function(module)
    values: dict[Any, np.ndarray] = {a: inputs[a.name_hint] for a in function.body.block.args}
    ties = 0
    for op in function.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        args = [values[v] for v in op.operands]
        if isinstance(op, nn.ShrOp) and op.shift > 0:
            u = args[0].astype(np.int64)
            ties += int(np.count_nonzero((u % (1 << op.shift) == 0) & ((u >> op.shift) % 2 == 1)))
        values[op.results[0]] = evaluate(op, args)
    return ties


@dataclass
class TensorCheck:
    """One quantized tensor of a run compared with another implementation's (int8 steps)."""

    tensor: str
    elements: int
    differ: int
    largest: int
    #: elements whose requantization on VTA rounded a tie up (ONNX: to even, here down)
    ties: int
    #: differing elements that are not such ties
    outside_ties: int


def check_tensors(
    module: ModuleOp,
    inputs: dict[str, np.ndarray],
    tensors: dict[str, str],
    observed: dict[str, np.ndarray],
) -> list[TensorCheck]:
    """Run the imported function op by op on the reference, comparing every quantized tensor
    (``tensors``: nn name -> ONNX name) with ``observed`` (ONNX name -> int8 values, e.g.
    onnxruntime's) and going on from the observed value, so that each requantization is judged
    on the same inputs as the other implementation's, not on inherited differences. Ties are
    located at the ``nn.shr`` before each cast (see :func:`half_up_ties`)."""
    from vtac.backends.reference import find_function

    function = find_function(module)
    values: dict[Any, np.ndarray] = {a: inputs[a.name_hint] for a in function.body.block.args}
    ties: dict[Any, np.ndarray] = {}
    checks = []
    for op in function.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        args = [values[v] for v in op.operands]
        result = evaluate(op, args)
        if isinstance(op, nn.ShrOp) and op.shift > 0:
            u = args[0].astype(np.int64)
            ties[op.results[0]] = (u % (1 << op.shift) == 0) & ((u >> op.shift) % 2 == 1)
        elif isinstance(op, nn.ClipOp | nn.CastOp) and op.operands[0] in ties:
            ties[op.results[0]] = ties[op.operands[0]]
        name = tensors.get(op.results[0].name_hint or "")
        if isinstance(op, nn.CastOp) and name in observed:
            want = np.asarray(observed[name]).astype(np.int64)
            diff = result.astype(np.int64) - want
            mask = ties.get(op.results[0], np.zeros(diff.shape, bool))
            checks.append(
                TensorCheck(
                    name,
                    diff.size,
                    int(np.count_nonzero(diff)),
                    int(np.abs(diff).max(initial=0)),
                    int(np.count_nonzero(mask)),
                    int(np.count_nonzero((diff != 0) & ~mask)),
                )
            )
            result = want.astype(np.int8)
        values[op.results[0]] = result
    return checks


def format_report(network: Network, run: NetworkRun) -> str:
    """Cycles per layer (VTA) and host steps named apart, the totals and shares."""
    lines = [
        f"{'#':>3} {'where':<5} {'layer / step':<44} {'cycles':>10} {'MACs':>12} {'host ms':>8}"
    ]
    for i, t in enumerate(run.times):
        if t.kind == "vta":
            lines.append(f"{i:>3} {'VTA':<5} {t.name:<44} {t.cycles:>10} {t.macs:>12} {'':>8}")
        else:
            lines.append(
                f"{i:>3} {'host':<5} {t.name:<44} {'':>10} {'':>12} {t.seconds * 1e3:>8.2f}"
            )
    cycles = sum(t.cycles for t in run.times)
    macs = sum(t.macs for t in run.times)
    host_s = sum(t.seconds for t in run.times if t.kind == "host")
    vta_s = cycles / (network.params.clock_mhz * 1e6)
    layers = sum(t.kind == "vta" for t in run.times)
    hosts = len(run.times) - layers
    lines.append(
        f"VTA: {layers} layers in {len(network.programs)} programs, {cycles} cycles "
        f"({vta_s * 1e3:.2f} ms at {network.params.clock_mhz:.0f} MHz, {network.board} "
        f"model), {macs} MACs"
    )
    lines.append(
        f"host: {hosts} steps, {host_s * 1e3:.2f} ms (numpy on this machine, not the board)"
    )
    total = vta_s + host_s
    if total > 0:
        lines.append(
            f"share of time: VTA {vta_s / total:.1%}, host {host_s / total:.1%} "
            "(modelled VTA time beside measured host time)"
        )
    return "\n".join(lines)


def compare(
    got: dict[str, np.ndarray], want: dict[str, np.ndarray], network: Network
) -> dict[str, tuple[int, int]]:
    """Per graph output: (elements that differ, largest difference in int8 steps)."""
    result = {}
    for b in network.outputs:
        unit = 1.0 if b.exp is None else 2.0**b.exp / b.divisor
        a = np.asarray(got[b.name], dtype=np.float64) / unit
        c = np.asarray(want[b.name], dtype=np.float64) / unit
        diff = np.abs(a - c)
        result[b.name] = (int(np.count_nonzero(diff > 1e-6)), int(math.ceil(diff.max() - 1e-6)))
    return result
