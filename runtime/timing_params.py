"""Timing parameters of a VTA board: every cycle-cost constant in one place.

The timed simulator and the compiler's analytical cost model both read these, so a schedule is
chosen with the same costs it is measured with. Defaults describe the pynq board (100 MHz,
64-bit memory bus) running the HLS design (vta-isa.md section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TimingParams:
    """Cycle costs of VTA's modules. All values are in accelerator clock cycles."""

    clock_mhz: float = 100.0
    #: Bytes the memory bus moves per cycle (64-bit bus: 8).
    bus_bytes: int = 8
    #: Cycles from issuing a DRAM row request to its first beat (per 2D row of a LOAD/STORE).
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

    def with_(self, **changes: float) -> TimingParams:
        """A copy with some parameters changed."""
        return replace(self, **changes)

    def transfer_cycles(self, rows: int, row_bytes: int, pad_elems: int = 0) -> int:
        """Cycles of one LOAD or STORE moving ``rows`` rows of ``row_bytes`` bytes each."""
        if rows == 0 or row_bytes == 0:
            return self.mem_insn_overhead
        beats = -(-row_bytes // self.bus_bytes)
        return (
            self.mem_insn_overhead
            + rows * (self.dram_row_latency + beats)
            + pad_elems * self.pad_cycles_per_elem
        )


#: Boards VTA ran on (vta-isa.md section 1).
BOARDS: dict[str, TimingParams] = {
    "pynq": TimingParams(),
    "de10nano": TimingParams(),
    "ultra96": TimingParams(clock_mhz=333.0, bus_bytes=16),
    "zcu104": TimingParams(clock_mhz=333.0, bus_bytes=16),
}
