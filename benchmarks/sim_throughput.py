"""Functional simulator throughput: simulated MACs per second of wall time.

Builds instruction streams shaped like real layers with the ISA records (the load/GEMM/ALU/store
mix of a ResNet-18 3x3 convolution tile loop, and of a dense layer's tile loop), runs them, and
prints one row per stream. ``--json FILE`` also writes the rows.

    python benchmarks/sim_throughput.py [--repeat N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ImageBuilder, ProgramImage
from vtac.runtime.isa import (
    Alu,
    AluOp,
    Finish,
    Gemm,
    Instruction,
    Load,
    MemType,
    Store,
    Uop,
    encode_uops,
)
from vtac.runtime.simulator import simulate


def conv3x3_stream(config: VTAConfig, tiles: int) -> tuple[ProgramImage, int]:
    """Tiles of a 3x3 convolution (fixed embedding): 4 input-channel blocks, 2 output-channel
    blocks, 8 x 14 output pixels per tile, ping-pong buffers and tokens both ways."""
    ic, oc, rows, cols = 4, 2, 8, 14
    in_rows, in_cols = rows + 2, cols + 2
    inp_tile = ic * in_rows * in_cols
    wgt_tile = oc * ic * 9
    acc_tile = oc * rows * cols
    uops = []
    for half in range(2):  # one kernel per virtual thread: dst over (oc, row, col), kw in uops
        for kw in range(3):
            for o in range(oc):
                for r in range(rows):
                    for c in range(cols):
                        uops.append(
                            Uop(
                                half * acc_tile + (o * rows + r) * cols + c,
                                half * inp_tile + r * in_cols + c + kw,
                                half * wgt_tile + o * ic * 9 + kw,
                            )
                        )
    kernel = len(uops) // 2
    rng = np.random.default_rng(0)
    arena = ImageBuilder(config)
    arena.add("uops", "uop", "uint32", (len(uops),), data=encode_uops(uops, config))
    inp_at = arena.add(
        "x", "input", "int8", (inp_tile * 16,), data=rng.integers(-128, 128, inp_tile * 16)
    ).offset
    wgt_at = arena.add(
        "w", "weight", "int8", (wgt_tile * 256,), data=rng.integers(-128, 128, wgt_tile * 256)
    ).offset
    out_at = arena.add("y", "output", "int8", (acc_tile * 16,)).offset
    insns: list[Instruction] = [
        Load(memory_type=MemType.UOP, y_size=1, x_size=len(uops), x_stride=len(uops))
    ]
    macs = 0
    for t in range(tiles):
        half = t % 2
        reuse = int(t >= 2)
        insns.append(
            Load(
                memory_type=MemType.INP,
                sram_base=half * inp_tile,
                dram_base=inp_at // 16,
                y_size=1,
                x_size=inp_tile,
                x_stride=inp_tile,
                pop_next_dep=reuse,
            )
        )
        insns.append(
            Load(
                memory_type=MemType.WGT,
                sram_base=half * wgt_tile,
                dram_base=wgt_at // 256,
                y_size=1,
                x_size=wgt_tile,
                x_stride=wgt_tile,
                push_next_dep=1,
            )
        )
        bgn, end = half * kernel, (half + 1) * kernel
        insns.append(
            Gemm(
                reset_reg=1,
                uop_bgn=bgn,
                uop_end=bgn + acc_tile,
                iter_out=1,
                iter_in=1,
                pop_next_dep=reuse,
            )
        )
        # iter_out over input-channel blocks, iter_in over kernel rows; kw and pixels in uops
        insns.append(
            Gemm(
                pop_prev_dep=1,
                uop_bgn=bgn,
                uop_end=end,
                iter_out=ic,
                iter_in=3,
                src_factor_out=in_rows * in_cols,
                src_factor_in=in_cols,
                wgt_factor_out=9,
                wgt_factor_in=3,
            )
        )
        macs += ic * 3 * kernel * config.macs_per_gemm_uop
        for op, imm in ((AluOp.SHR, 8), (AluOp.MIN, 127), (AluOp.MAX, 0)):
            insns.append(
                Alu(
                    alu_opcode=op,
                    use_imm=1,
                    imm=imm,
                    uop_bgn=bgn,
                    uop_end=bgn + acc_tile,
                    iter_out=1,
                    iter_in=1,
                )
            )
        insns[-1] = Alu(
            **{**vars(insns[-1]), "push_prev_dep": int(t + 2 < tiles), "push_next_dep": 1}
        )
        insns.append(
            Store(
                memory_type=MemType.OUT,
                sram_base=half * acc_tile,
                dram_base=out_at // 16,
                y_size=1,
                x_size=acc_tile,
                x_stride=acc_tile,
                pop_prev_dep=1,
                push_prev_dep=1,
            )
        )
    insns += [Load(memory_type=MemType.UOP, pop_next_dep=1)] * 2 + [Finish()]
    return arena.build(insns), macs


def dense_stream(config: VTAConfig, tiles: int) -> tuple[ProgramImage, int]:
    """A dense layer y = x . w^T (K = 1024, O = 512) in output tiles of 32 rows x 8 output
    blocks, row tile by row tile: per tile, 4 reduction steps each load an input tile (32 rows x
    16 blocks) and a weight tile (8 x 16 blocks) into ping-pong halves and run one GEMM; then a
    shift, clip and ReLU epilogue and a store of the tile, with tokens both ways. The micro-ops
    (4 GEMM kernels of 256) fit the Chisel design's 2048."""
    rows, out_blocks, k_blocks = 32, 8, 16  # one tile
    k_steps, out_tiles = 4, 4
    n, kb, ob = rows * -(-tiles // out_tiles), k_blocks * k_steps, out_blocks * out_tiles
    inp_half, wgt_half, acc_half = rows * k_blocks, out_blocks * k_blocks, rows * out_blocks
    uops = [  # one GEMM kernel per (accumulator half, input and weight half)
        Uop(
            a * acc_half + r * out_blocks + o,
            b * inp_half + r * k_blocks,
            b * wgt_half + o * k_blocks,
        )
        for a in range(2)
        for b in range(2)
        for r in range(rows)
        for o in range(out_blocks)
    ]
    kernel = rows * out_blocks
    epilogue = len(uops)
    uops += [Uop(0, 0, 0), Uop(acc_half, acc_half, 0)]  # one per accumulator half, looped
    rng = np.random.default_rng(1)
    arena = ImageBuilder(config)
    arena.add("uops", "uop", "uint32", (len(uops),), data=encode_uops(uops, config))
    inp_at = arena.add(
        "x", "input", "int8", (n, kb * 16), data=rng.integers(-128, 128, (n, kb * 16))
    )
    wgt_at = arena.add(
        "w", "weight", "int8", (ob, kb, 16, 16), data=rng.integers(-128, 128, (ob, kb, 16, 16))
    )
    out_at = arena.add("y", "output", "int8", (n, ob * 16))
    insns: list[Instruction] = [
        Load(memory_type=MemType.UOP, y_size=1, x_size=len(uops), x_stride=len(uops))
    ]
    steps = tiles * k_steps
    for t in range(tiles):
        row0, out0, a = t // out_tiles * rows, t % out_tiles * out_blocks, t % 2
        for s in range(k_steps):
            g, b = t * k_steps + s, s % 2
            insns.append(
                Load(
                    memory_type=MemType.INP,
                    sram_base=b * inp_half,
                    dram_base=inp_at.offset // 16 + row0 * kb + s * k_blocks,
                    y_size=rows,
                    x_size=k_blocks,
                    x_stride=kb,
                    pop_next_dep=int(g >= 2),
                )
            )
            insns.append(
                Load(
                    memory_type=MemType.WGT,
                    sram_base=b * wgt_half,
                    dram_base=wgt_at.offset // 256 + out0 * kb + s * k_blocks,
                    y_size=out_blocks,
                    x_size=k_blocks,
                    x_stride=kb,
                    push_next_dep=1,
                )
            )
            bgn = (2 * a + b) * kernel
            if s == 0:
                insns.append(
                    Gemm(
                        reset_reg=1,
                        uop_bgn=bgn,
                        uop_end=bgn + kernel,
                        iter_out=1,
                        iter_in=1,
                        pop_next_dep=int(t >= 2),
                    )
                )
            insns.append(
                Gemm(
                    pop_prev_dep=1,
                    push_prev_dep=int(g + 2 < steps),
                    uop_bgn=bgn,
                    uop_end=bgn + kernel,
                    iter_out=k_blocks,
                    iter_in=1,
                    src_factor_out=1,
                    wgt_factor_out=1,
                )
            )
        for op, imm in ((AluOp.SHR, 8), (AluOp.MIN, 127), (AluOp.MAX, 0)):
            insns.append(
                Alu(
                    alu_opcode=op,
                    use_imm=1,
                    imm=imm,
                    uop_bgn=epilogue + a,
                    uop_end=epilogue + a + 1,
                    iter_out=acc_half,
                    iter_in=1,
                    dst_factor_out=1,
                    src_factor_out=1,
                    push_next_dep=int(op == AluOp.MAX),
                )
            )
        insns.append(
            Store(
                memory_type=MemType.OUT,
                sram_base=a * acc_half,
                dram_base=out_at.offset // 16 + row0 * ob + out0,
                y_size=rows,
                x_size=out_blocks,
                x_stride=ob,
                pop_prev_dep=1,
                push_prev_dep=1,
            )
        )
    insns += [Load(memory_type=MemType.UOP, pop_next_dep=1)] * min(tiles, 2) + [Finish()]
    macs = tiles * k_steps * k_blocks * kernel * config.macs_per_gemm_uop
    return arena.build(insns), macs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per stream (best is kept)")
    parser.add_argument("--tiles", type=int, default=28, help="tiles per stream")
    parser.add_argument("--json", help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    config = VTAConfig()
    rows = []
    for name, build in (("conv3x3", conv3x3_stream), ("dense", dense_stream)):
        image, macs = build(config, args.tiles)
        best = float("inf")
        for _ in range(args.repeat):
            arena = image.dram.copy()
            start = time.perf_counter()
            simulate(config, image.insns, arena)
            best = min(best, time.perf_counter() - start)
        rows.append(
            {
                "stream": name,
                "instructions": len(image.insns),
                "macs": macs,
                "seconds": best,
                "macs_per_second": macs / best,
            }
        )
    print(f"{'stream':<10} {'insns':>7} {'MACs':>14} {'seconds':>9} {'MACs/s':>10}")
    for r in rows:
        print(
            f"{r['stream']:<10} {r['instructions']:>7} {r['macs']:>14,} {r['seconds']:>9.3f} "
            f"{r['macs_per_second']:>10.3g}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
