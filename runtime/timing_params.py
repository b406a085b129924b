"""Timing parameters of a VTA board: every cycle-cost constant in one place.

The timed simulator and the compiler's analytical cost model both read these, so a schedule is
chosen with the same costs it is measured with. Defaults describe the pynq board (100 MHz,
64-bit memory bus) running the HLS design (vta-isa.md section 6).

The two memory parameters of the pynq defaults are calibrated against the board: TVM's
published ResNet-18 schedules, compiled into the same instruction streams and timed with this
model, are fitted to the times TVM measured on the board (``benchmarks/calibrate_pynq.py``, a
grid search minimising the worst relative error over C2 to C11). The fit keeps the GEMM and
ALU costs of the hardware design and changes only what the data sheet cannot say: the DMA
sustains 0.5 beats per cycle within a row (4 of the bus's 8 bytes) and a row costs 32 cycles
of latency. Every module's transfers share one DRAM port (the HLS design's one AXI master for
inputs, weights, biases, outputs and micro-ops): a transfer holds it for its rows' beats, first
come first served, while the rows' latency overlaps other transfers. The compute-bound and
load-bound layers are then within 1.7% of the board; the two 1x1 stride-2 layers, whose loads
and stores overlap most, come out slower than the board (C4 +9.1%, C7 +5.2%, the others within
8.6%): the board interleaves the bursts of concurrent transfers (and AXI reads and writes have
their own channels), while the model serves one whole transfer at a time. The nominal bus (one
beat per cycle) is up to 38% too fast on the memory-bound layers. The other boards are not
calibrated: they get the nominal bus (one beat per cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TimingParams:
    """Cycle costs of VTA's modules. All values are in accelerator clock cycles."""

    clock_mhz: float = 100.0
    #: Bytes the memory bus moves per beat (64-bit bus: 8).
    bus_bytes: int = 8
    #: Beats per cycle the DMA sustains within a row (1: one beat every cycle; pynq: calibrated).
    bus_efficiency: float = 0.5
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
    #: Whether every module's transfers share one DRAM port (the HLS design's one AXI master
    #: for inputs, weights, biases, outputs and micro-ops), held by one transfer at a time.
    shared_dram_port: bool = True

    def with_(self, **changes: float) -> TimingParams:
        """A copy with some parameters changed."""
        return replace(self, **changes)

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
        return sum(self.transfer_phases(rows, row_bytes, pad_elems))

    def transfer_phases(
        self, rows: int, row_bytes: int, pad_elems: int = 0
    ) -> tuple[int, int, int]:
        """(lead, port, tail) cycles of a LOAD or STORE: the instruction's overhead, the rows
        on the DRAM port, the padding written after them."""
        if rows == 0 or row_bytes == 0:
            return self.mem_insn_overhead, 0, 0
        beats = rows * int(self.row_cycles(row_bytes) - self.dram_row_latency)
        lead = self.mem_insn_overhead + rows * self.dram_row_latency
        return lead, beats, pad_elems * self.pad_cycles_per_elem


#: Boards VTA ran on (vta-isa.md section 1): pynq calibrated, the others nominal.
BOARDS: dict[str, TimingParams] = {
    "pynq": TimingParams(),
    "de10nano": TimingParams(bus_efficiency=1.0),
    "ultra96": TimingParams(clock_mhz=333.0, bus_bytes=16, bus_efficiency=1.0),
    "zcu104": TimingParams(clock_mhz=333.0, bus_bytes=16, bus_efficiency=1.0),
}
