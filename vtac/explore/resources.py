"""FPGA resources of a VTA configuration, and the boards VTA runs on.

An estimate, per configuration, of the on-chip memory blocks, DSP slices and LUTs that VTA's
designs need, beside each board's capacity; :func:`fits` says whether a configuration fits a
board under a budget fraction (ConfuciuX's resource multiplier). The explorer never evaluates a
configuration that does not fit.

Memory blocks (the part of the model that follows the designs exactly). VTA's Xilinx design
(apache/tvm-vta ``hardware/xilinx``) holds the input, weight and output buffers in
``blk_mem_gen`` True_Dual_Port RAMs with 8-bit byte writes (``scripts/vivado.tcl``), one word
per buffer entry (``config/pkg_config.py``: width = the entry's bits, depth = the buffer's bytes
over it), and the micro-op and accumulator buffers as HLS arrays inside the compute module
(``src/vta.cc``, one entry per word after ``ARRAY_RESHAPE``). A memory of ``depth`` words of
``width`` bits takes ``ceil(depth / d) * ceil(width / w)`` blocks for the best aspect ratio
``d x w`` the primitive offers in that port mode, counting data bits only (no parity bits:
byte-wide writes leave them unused). Xilinx's 18 Kb block (UG473, UG573): 16Kx1, 8Kx2, 4Kx4,
2Kx8, 1Kx16, 512x32 in simple dual port; a true-dual-port byte-write RAM only 2Kx8 and 1Kx16.
The Intel design (Chisel, de10nano) keeps every buffer in M10K blocks (Cyclone V handbook:
8Kx1, 4Kx2, 2Kx5, 1Kx10, 512x20, 256x40). Every design also has the three instruction queues
(512 x 128 bits) and four dependency queues (1024 x 8 bits) of ``vivado.tcl``, modelled alike on
both vendors.

DSP slices and LUTs of the GEMM core (estimates, not synthesis results). The core computes
``BATCH * BLOCK_IN * BLOCK_OUT`` int8 products per cycle, reduced by one adder tree per output
lane (``BATCH * BLOCK_OUT`` lanes), each lane with its 32-bit accumulator and ALU.

- Xilinx: two int8 products that share their input operand per DSP slice (the GEMM's structure:
  every input element meets BLOCK_OUT weights), the packing of Xilinx WP486 ("Deep Learning
  with INT8 Optimization on Xilinx Devices"). One slice per product cannot be what the shipped
  pynq design does: its 256 products exceed the xc7z020's 220 slices.
- Intel: no DSP block for products; VTA's Intel flow synthesises them in logic
  (``hardware/intel/Makefile``: ``NO_DSP = true``, ``multstyle="logic"``), about
  :data:`LOGIC_PRODUCT_LUTS` ALMs each.
- LUTs (ALMs on Intel): a fixed part for fetch, load, store, DMA and AXI; per product one adder
  of the reduction tree (about 20 bits, one LUT per bit on Xilinx's carry chains, two bits per
  ALM); per lane the 32-bit accumulator (add and reset) and the ALU (min, max, add, a 32-bit
  barrel shift). These constants are order-of-magnitude estimates from the widths above; the
  budgets that bind in practice are the memory blocks and, on Xilinx, the DSP slices.

Board capacities are the data sheets' (xc7z020: DS190; xczu3eg and xczu7ev: DS891; 5CSEBA6:
the Cyclone V product table); clocks are VTA's (``pkg_config.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vtac.runtime.config import VTAConfig

#: Aspect ratios (depth, data width) of one memory block, by vendor and port mode.
XILINX_SDP = ((16384, 1), (8192, 2), (4096, 4), (2048, 8), (1024, 16), (512, 32))
XILINX_TDP_BYTES = ((2048, 8), (1024, 16))
INTEL_M10K = ((8192, 1), (4096, 2), (2048, 5), (1024, 10), (512, 20), (256, 40))

#: The instruction queues (load, gemm, store) and dependency queues of the designs.
QUEUES = ((3, 512, 128), (4, 1024, 8))

#: LUT estimates (see the module docstring).
FIXED_LUTS = {"xilinx": 12_000, "intel": 8_000}
TREE_LUTS_PER_PRODUCT = {"xilinx": 20, "intel": 10}
LANE_LUTS = {"xilinx": 320, "intel": 160}
LOGIC_PRODUCT_LUTS = 40
#: int8 products per DSP slice (0: products in logic).
PRODUCTS_PER_DSP = {"xilinx": 2, "intel": 0}


@dataclass(frozen=True)
class Board:
    """An FPGA board: its part, capacities and VTA's clock on it."""

    name: str
    part: str
    vendor: str  # "xilinx" or "intel"
    memory_blocks: int  # 18 Kb BRAM (Xilinx) or M10K (Intel) blocks
    dsp: int
    luts: int  # LUTs (Xilinx) or ALMs (Intel)
    clock_mhz: float

    @property
    def block_name(self) -> str:
        return "BRAM18" if self.vendor == "xilinx" else "M10K"


BOARDS: dict[str, Board] = {
    "pynq": Board("pynq", "xc7z020clg484-1", "xilinx", 280, 220, 53_200, 100.0),
    "ultra96": Board("ultra96", "xczu3eg-sbva484-1-e", "xilinx", 432, 360, 70_560, 333.0),
    "zcu104": Board("zcu104", "xczu7ev-ffvc1156-2-e", "xilinx", 624, 1_728, 230_400, 333.0),
    "de10nano": Board("de10nano", "5CSEBA6U23I7", "intel", 553, 112, 41_910, 100.0),
}


@dataclass(frozen=True)
class Resources:
    """What one configuration needs on one board's vendor."""

    memory_blocks: int
    dsp: int
    luts: int
    #: memory blocks per buffer (uop, inp, wgt, acc, out, queues)
    buffers: tuple[tuple[str, int], ...]

    def utilization(self, board: Board) -> dict[str, float]:
        """Each resource over the board's capacity."""
        return {
            "memory_blocks": self.memory_blocks / board.memory_blocks,
            "dsp": self.dsp / board.dsp,
            "luts": self.luts / board.luts,
        }


def memory_blocks(depth: int, width: int, ratios: tuple[tuple[int, int], ...]) -> int:
    """Blocks of a ``depth`` x ``width``-bit memory at the best of the aspect ``ratios``."""
    return min(math.ceil(depth / d) * math.ceil(width / w) for d, w in ratios)


def buffer_shapes(config: VTAConfig) -> dict[str, tuple[int, int]]:
    """(depth in entries, width in bits) of each on-chip buffer of ``config``."""
    return {
        "uop": (config.uop_depth, config.uop_elem_bytes * 8),
        "inp": (config.inp_depth, config.inp_elem_bytes * 8),
        "wgt": (config.wgt_depth, config.wgt_elem_bytes * 8),
        "acc": (config.acc_depth, config.acc_elem_bytes * 8),
        "out": (config.acc_depth, config.out_elem_bytes * 8),  # OUT has as many entries as ACC
    }


def estimate(config: VTAConfig, board: Board) -> Resources:
    """The memory blocks, DSP slices and LUTs ``config`` needs on ``board``'s vendor."""
    vendor = board.vendor
    blocks: dict[str, int] = {}
    for name, (depth, width) in buffer_shapes(config).items():
        if vendor == "intel":
            ratios = INTEL_M10K
        else:
            ratios = XILINX_TDP_BYTES if name in ("inp", "wgt", "out") else XILINX_SDP
        blocks[name] = memory_blocks(depth, width, ratios)
    sdp = INTEL_M10K if vendor == "intel" else XILINX_SDP
    blocks["queues"] = sum(n * memory_blocks(d, w, sdp) for n, d, w in QUEUES)
    products = config.macs_per_gemm_uop
    lanes = config.batch * config.block_out
    per_dsp = PRODUCTS_PER_DSP[vendor]
    dsp = math.ceil(products / per_dsp) if per_dsp else 0
    luts = FIXED_LUTS[vendor] + products * TREE_LUTS_PER_PRODUCT[vendor] + lanes * LANE_LUTS[vendor]
    if not per_dsp:
        luts += products * LOGIC_PRODUCT_LUTS
    return Resources(sum(blocks.values()), dsp, luts, tuple(blocks.items()))


def fits(resources: Resources, board: Board, fraction: float = 1.0) -> bool:
    """Whether ``resources`` fit within ``fraction`` of every capacity of ``board``."""
    return (
        resources.memory_blocks <= board.memory_blocks * fraction
        and resources.dsp <= board.dsp * fraction
        and resources.luts <= board.luts * fraction
    )
