"""Build the gemm16 example's program image from its assembly and its input arrays.

    python examples/gemm16/make_image.py OUT_DIR

assembles ``gemm16.s`` and ``uops.s``, lays out the DRAM arena the program expects, fills A and
W from ``a.npy`` and ``w.npy``, and writes the image to OUT_DIR. Then

    vtac sim OUT_DIR --stats --check out=examples/gemm16/expected.npy

runs it and compares C with numpy's answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from vtac.runtime.assembly import assemble, assemble_uops
from vtac.runtime.config import VTAConfig
from vtac.runtime.image import ImageBuilder
from vtac.runtime.packing import LaneGroup, PackSpec

HERE = Path(__file__).parent


def blocked(rows: str, cols: str, role: str) -> PackSpec:
    """[16, 16] with rows iterated (one element each) and columns on the 16 lanes."""
    if role == "wgt":  # one [BLOCK_OUT][BLOCK_IN] block: rows on block_out, columns on block_in
        return PackSpec(
            logical_shape=(16, 16),
            extents=((rows, 16), (cols, 16)),
            index=(("loop", rows), ("loop", cols)),
            coords=(("block", "block_out"), ("block", "block_in")),
            groups=(LaneGroup("block_out", 16, (rows,)), LaneGroup("block_in", 16, (cols,))),
        )
    lanes = "block_in" if role == "inp" else "block_out"
    return PackSpec(
        logical_shape=(16, 16),
        extents=((rows, 16), (cols, 16)),
        index=(("loop", rows), ("loop", cols)),
        coords=(("loop", rows), ("block", lanes)),
        groups=(LaneGroup("batch", 1, ()), LaneGroup(lanes, 16, (cols,))),
    )


def main(out_dir: str) -> None:
    config = VTAConfig()
    insns = assemble((HERE / "gemm16.s").read_text(), config, "gemm16.s")
    uops = assemble_uops((HERE / "uops.s").read_text(), config, "uops.s")
    builder = ImageBuilder(config)
    builder.add("uops", "uop", "uint32", (uops.size,), data=uops)
    builder.add("a", "input", "int8", (16, 16), blocked("m", "k", "inp"), np.load(HERE / "a.npy"))
    builder.add("w", "weight", "int8", (16, 16), blocked("o", "k", "wgt"), np.load(HERE / "w.npy"))
    builder.add("out", "output", "int8", (16, 16), blocked("m", "o", "out"))
    builder.build(insns).save(out_dir)
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
