"""Kernels in the tile dialect: vtac-tile writes the tile walk as IR, vtac-lower-to-vta reads it
back step for step, and malformed tile programs are refused with the op named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

import vtac
from vtac.backends.vta import build_image
from vtac.backends.vta.tile_ir import TileIRError, is_tile_kernel, read_kernel
from vtac.backends.vta.tile_walk import walk_tiles
from vtac.passes.insert_deps import InsertDeps
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.lower_to_vta import LowerToVta
from vtac.passes.schedule import Tile, plan, read_schedule
from vtac.planning.contraction import analyse
from vtac.runtime.simulator import simulate
from vtac.workloads import conv, matmul

ROOT = Path(__file__).resolve().parents[1]

KERNELS = {
    "matmul-requant": matmul(40, 24, 96, True),
    "matmul-int32": matmul(3, 5, 20, False),
    "conv3x3": conv(16, 10, 32, 3, 1, 1),
    "conv-c3-stride2": conv(3, 12, 16, 3, 1, 2),
}


def laid_out(text: str) -> ModuleOp:
    module = vtac.parse_ir(text)
    InstructionSelection().apply(Context(), module)
    Layout().apply(Context(), module)
    return module


def tiled(text: str) -> func.FuncOp:
    module = vtac.parse_ir(vtac.print_ir(tiled_module(text)))  # through the textual form
    (kernel,) = (op for op in module.body.block.ops if is_tile_kernel(op))
    assert isinstance(kernel, func.FuncOp)
    return kernel


def tiled_module(text: str) -> ModuleOp:
    module = laid_out(text)
    Tile().apply(Context(), module)
    return module


@pytest.mark.parametrize("name", KERNELS)
def test_tile_ir_holds_the_tile_walk(name: str) -> None:
    """Reading vtac-tile's output back (after printing and parsing it) gives exactly the steps
    of the tile walk the schedule implies."""
    module = laid_out(KERNELS[name])
    (function,) = (op for op in module.body.block.ops if isinstance(op, func.FuncOp))
    kernel = analyse(function)
    schedule, kernel = plan(kernel)
    want = walk_tiles(kernel.blocked, schedule, kernel.epilogue, kernel.config)
    names = {"inp": kernel.arg_name("inp"), "wgt": kernel.arg_name("wgt"), "out": "result"}
    if "bias" in kernel.arguments:
        names["bias"] = kernel.arg_name("bias")
    function_ir = tiled(KERNELS[name])
    got = read_kernel(function_ir).steps
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        if hasattr(b, "tensor"):
            assert a.tensor == names[b.tensor] and a.insn == b.insn  # type: ignore[union-attr]
        else:
            assert a == b
    assert read_schedule(function_ir)[0] == schedule


def test_tensors_carry_what_the_host_needs() -> None:
    kernel = read_kernel(tiled(KERNELS["matmul-int32"]))
    a, b, result = kernel.tensors.values()
    assert (a.name, a.role, a.dtype, a.shape) == ("a", "input", "int8", (3, 20))
    assert (b.name, b.role, b.shape) == ("b", "input", (20, 5))
    assert (result.name, result.role, result.planes) == ("result", "output", 4)


def lower(text: str) -> None:
    LowerToVta().apply(Context(), vtac.parse_ir(text))


ARG = (
    '%x: memref<16x1x1x16xi8> {vtac.buffer = {name = "x", role = "input", dtype = "int8", '
    'shape = array<i64: 16, 16>, layout = "n=16, k=16 | dims [n, k] | outer [n, #block_in] | '
    'lanes [batch 1 (), block_in 16 (k)]"}}'
)
INP = "memref<2048x1x16xi8, #tile.mem<inp>>"
LOAD = (
    "tile.dma_load %x[%c0] -> %inp[0] {y_size = 1, x_size = 16, x_stride = 16} : "
    f"memref<16x1x1x16xi8>, {INP}"
)


def program(args: str, body: str) -> str:
    return (
        f"func.func @k({args}) {{\n  %inp = memref.alloc() : {INP}\n"
        f"  %c0 = arith.constant 0 : index\n{body}\n  func.return\n}}\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            program("%x: memref<16x1x1x16xi8>", LOAD),
            "@k: argument 0 has no vtac.buffer attribute",
        ),
        (
            program(
                ARG.replace("16x1x1x16", "8x1x1x16", 1),
                LOAD.replace("16x1x1", "8x1x1").replace("= 16, x_stride = 16", "= 8, x_stride = 8"),
            ),
            "its layout and planes give memref<16x1x1x16xi8>, not memref<8x1x1x16xi8>",
        ),
        (
            program(ARG, f"  %again = memref.alloc() : {INP}\n  {LOAD}"),
            "memref.alloc in @k: a second inp buffer",
        ),
        (
            program(ARG.replace('"input"', '"input", planes = 0'), LOAD),
            "'planes' must be a positive integer",
        ),
        (
            program(ARG.replace('dtype = "int8"', 'dtype = "float"'), LOAD),
            "dtype must be one of int8, int32",
        ),
    ],
)
def test_malformed_tile_programs_are_refused(text: str, message: str) -> None:
    with pytest.raises(TileIRError, match=message.replace("[", r"\[").replace("(", r"\(")):
        lower(text)


def test_handwritten_program_computes_its_numbers() -> None:
    """The hand-written tile program of lower_to_vta_handwritten.mlir (y = (x W^T) >> 4, one
    16x16 block), lowered, given dependency tokens and simulated, matches numpy."""
    text = (ROOT / "tests" / "filecheck" / "passes" / "lower_to_vta_handwritten.mlir").read_text()
    module = vtac.parse_ir(text)
    LowerToVta().apply(Context(), module)
    InsertDeps().apply(Context(), module)
    image = build_image(module)
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (16, 16)).astype(np.int8)
    w = rng.integers(-128, 128, (16, 16)).astype(np.int8)
    dram = image.dram.copy()
    image.set_input("x", x, dram)
    image.set_input("w", w, dram)
    simulate(image.config, image.insns, dram, strict=True)
    want = ((x.astype(np.int64) @ w.T.astype(np.int64)) >> 4).astype(np.int8)
    np.testing.assert_array_equal(image.read_output("y", dram), want)
