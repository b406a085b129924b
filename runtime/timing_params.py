"""Timing parameters of a VTA board: every cycle-cost constant in one place.

The timed simulator and the compiler's analytical cost model both read these, so a schedule is
chosen with the same costs it is measured with. Defaults describe the pynq board (100 MHz,
64-bit memory bus) running the HLS design (vta-isa.md section 6).

The two memory parameters of the pynq defaults are calibrated against the board: TVM's
published ResNet-18 schedules, compiled into the same instruction streams and timed with this
model, are fitted to the times TVM measured on the board (``benchmarks/calibrate_pynq.py``, a
grid search minimising the worst relative error over C2 to C11). The fit keeps the GEMM and
ALU costs of the hardware design and changes only what the data sheet cannot say: the DMA
sustains 0.47 beats per cycle within a row (3.8 of the bus's 8 bytes) and a row costs 32
cycles of latency; every layer is then within 5.4% of the board (the nominal bus, one beat per
cycle, is up to 38% too fast on the memory-bound layers). The compute-bound layers (C2, C5, C8)
fit within 1.5% whatever the memory parameters, which checks the GEMM and ALU costs
independently. The other boards are not
calibrated: they get the nominal bus (one beat per cycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TimingParams:
    """Cycle costs of VTA's modules. All values are in accelerator clock cycles."""

    clock_mhz: float = 100.0
    #: Bytes the memory bus moves per beat (64-bit bus: 8).
    bus_bytes: int = 8
    #: Beats per cycle the DMA sustains within a row (1: one beat every cycle; pynq: calibrated).
    bus_efficiency: float = 0.47
    #: Cycles from issuing a DRAM row request to its first beat (per 2D row of a LOAD/STORE;
    #: pynq: calibrated).
    dram_row_latency: int = 32
    #: Fixed cycles per LOAD/STORE instruction (decode, address setup).
    mem_insn_overhead: int = 4
    #: Cycles per padded element written by a LOAD.
    pad_cycles_per_elem: int = 1
    #: GEMM: cycles per micro-op execution, plus a pipeline fill per instruction.
    gemm_cycles_per_uop: int = 1
    gemm_pipeline_fill: int = 4
    #: ALU: cycles per micro-op execution (2 in the HLS design); with an immediate operand.
    alu_cycles_per_uop: int = 2
    alu_imm_cycles_per_uop: int = 2
    alu_pipeline_fill: int = 4
    #: Cycles for FINISH and for a compute no-op (a LOAD with x_size 0).
    finish_cycles: int = 1

    @property
    def stream_bytes_per_cycle(self) -> float:
        """Bytes per cycle the DMA sustains within long rows (the roofline's bandwidth)."""
        return self.bus_bytes * self.bus_efficiency

    def row_cycles(self, row_bytes: Any) -> Any:
        """Cycles of one DMA row of ``row_bytes`` bytes: the latency, then the beats (works on
        integers and on numpy arrays of them)."""
        beats = -(-row_bytes // self.bus_bytes)
        return self.dram_row_latency + np.ceil(beats / self.bus_efficiency).astype(np.int64)

    def transfer_cycles(self, rows: int, row_bytes: int, pad_elems: int = 0) -> int:
        """Cycles of one LOAD or STORE moving ``rows`` rows of ``row_bytes`` bytes each."""
        if rows == 0 or row_bytes == 0:
            return self.mem_insn_overhead
        return int(
            self.mem_insn_overhead
            + rows * self.row_cycles(row_bytes)
            + pad_elems * self.pad_cycles_per_elem
        )


#: Boards VTA ran on (vta-isa.md section 1): pynq calibrated, the others nominal.
BOARDS: dict[str, TimingParams] = {
    "pynq": TimingParams(),
    "de10nano": TimingParams(bus_efficiency=1.0),
    "ultra96": TimingParams(clock_mhz=333.0, bus_bytes=16, bus_efficiency=1.0),
    "zcu104": TimingParams(clock_mhz=333.0, bus_bytes=16, bus_efficiency=1.0),
}
