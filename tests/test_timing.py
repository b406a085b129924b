"""Timed simulation: hand-computed cycle counts (default pynq parameters) and the trace."""

from __future__ import annotations

import json
import math

import pytest

from vtac.runtime.config import VTAConfig
from vtac.runtime.isa import Finish, Gemm, Load, MemType, Store
from vtac.runtime.timing import TimingError, time_program, write_trace
from vtac.runtime.timing_params import BOARDS, TimingParams

CONFIG = VTAConfig()
P = TimingParams()
# LOAD INP of 2 rows x 4 elements (64 bytes per row): overhead + rows * (latency + the row's
# 8 beats at the calibrated 0.5 beats per cycle, 16 cycles)
BEAT_CYCLES = math.ceil(64 // P.bus_bytes / P.bus_efficiency)
LOAD = P.mem_insn_overhead + 2 * (P.dram_row_latency + BEAT_CYCLES)
GEMM = 24 * P.gemm_cycles_per_uop + P.gemm_pipeline_fill  # 4 micro-ops x 2 x 3 iterations
STORE = P.mem_insn_overhead + 1 * (P.dram_row_latency + BEAT_CYCLES)  # 4 OUT elements


def load(**flags: int) -> Load:
    return Load(memory_type=MemType.INP, y_size=2, x_size=4, x_stride=4, **flags)


def gemm(**flags: int) -> Gemm:
    return Gemm(uop_end=4, iter_out=2, iter_in=3, **flags)


def store(**flags: int) -> Store:
    return Store(memory_type=MemType.OUT, y_size=1, x_size=4, x_stride=4, **flags)


def noop(**flags: int) -> Load:
    return Load(memory_type=MemType.UOP, **flags)


def test_parameters_are_the_documented_ones() -> None:
    assert (P.bus_efficiency, P.dram_row_latency, BEAT_CYCLES) == (0.5, 32, 16)
    assert (LOAD, GEMM, STORE) == (100, 28, 52)
    assert BOARDS["ultra96"].bus_bytes == 16 and BOARDS["pynq"].clock_mhz == 100.0


def test_single_load() -> None:
    report = time_program(CONFIG, [load(push_next_dep=1), noop(pop_prev_dep=1), Finish()])
    assert report.spans[0] == (0, LOAD)
    assert report.cycles == LOAD + 2 * P.finish_cycles
    assert report.dram_bytes == {"inp": 128}
    assert report.modules["compute"].stall == LOAD


def test_gemm_alone() -> None:
    report = time_program(CONFIG, [gemm(), Finish()])
    assert report.spans[0] == (0, GEMM)
    assert report.gemm_uops == 24
    assert report.utilization(24 * 256, CONFIG) == pytest.approx(24 / report.cycles)


def test_load_compute_store_chain() -> None:
    program = [
        load(push_next_dep=1),
        gemm(pop_prev_dep=1, push_next_dep=1),
        store(pop_prev_dep=1, push_prev_dep=1),
        noop(pop_next_dep=1),
        Finish(),
    ]
    report = time_program(CONFIG, program)
    assert report.spans[:3] == [(0, LOAD), (LOAD, LOAD + GEMM), (LOAD + GEMM, LOAD + GEMM + STORE)]
    assert report.cycles == LOAD + GEMM + STORE + 2


def two_tiles(double_buffered: bool) -> list:
    """Two load-GEMM-store tiles; single-buffered, the second load waits for the first GEMM
    (write after read on the input buffer)."""
    return [
        load(push_next_dep=1),
        load(push_next_dep=1, pop_next_dep=int(not double_buffered)),
        gemm(pop_prev_dep=1, push_next_dep=1, push_prev_dep=int(not double_buffered)),
        gemm(pop_prev_dep=1, push_next_dep=1),
        store(pop_prev_dep=1),
        store(pop_prev_dep=1, push_prev_dep=1),
        noop(pop_next_dep=1),
        Finish(),
    ]


def test_virtual_threads_overlap_loads_with_compute() -> None:
    own_ports = P.with_(shared_dram_port=False)  # every module its own port: no port waits
    single = time_program(CONFIG, two_tiles(False), own_ports)
    double = time_program(CONFIG, two_tiles(True), own_ports)
    # single-buffered: the second load starts after the first GEMM
    assert single.spans[1] == (LOAD + GEMM, 2 * LOAD + GEMM)
    assert single.spans[3] == (2 * LOAD + GEMM, 2 * LOAD + 2 * GEMM)
    assert single.cycles == 2 * LOAD + 2 * GEMM + STORE + 2
    # double-buffered: loads run back to back
    assert double.spans[1] == (LOAD, 2 * LOAD)
    assert double.spans[3] == (2 * LOAD, 2 * LOAD + GEMM)
    assert double.cycles == 2 * LOAD + GEMM + STORE + 2
    assert double.cycles < single.cycles


def test_transfers_share_one_dram_port() -> None:
    report = time_program(CONFIG, two_tiles(True))
    # the first STORE is ready after the first GEMM but the second LOAD's beats hold the port
    # until 2 * LOAD: the STORE's decode and row latency overlap them, its beats follow
    lead = P.mem_insn_overhead + P.dram_row_latency
    assert report.spans[4] == (2 * LOAD - lead, 2 * LOAD - lead + STORE)
    assert report.spans[5][0] == report.spans[3][1]  # the second STORE waits for its GEMM
    assert report.port_busy == 2 * 2 * BEAT_CYCLES + 2 * BEAT_CYCLES
    waits = report.spans[4][0] + report.spans[5][0] - report.spans[4][1]
    assert report.modules["store"].stall == waits


def test_stall_from_a_missing_overlap_is_reported() -> None:
    report = time_program(CONFIG, two_tiles(False))
    waits = {index: (begin, end) for index, begin, end in report.stalls}
    assert waits[1] == (LOAD, LOAD + GEMM)  # the load module idles while the GEMM reads
    assert report.modules["load"].stall == GEMM


def test_full_queue_blocks_the_producer() -> None:
    program = [load(push_next_dep=1) for _ in range(10)]
    program += [gemm(pop_prev_dep=1) for _ in range(10)] + [Finish()]
    report = time_program(CONFIG, program)
    # the ninth push waits for the first pop (8 tokens at most in a queue)
    assert report.spans[8][1] >= report.spans[10][0]


def test_deadlock() -> None:
    with pytest.raises(TimingError, match="instruction 0 .*deadlock"):
        time_program(CONFIG, [gemm(pop_prev_dep=1), Finish()])


def test_trace_is_chrome_json(tmp_path) -> None:  # noqa: ANN001
    program = two_tiles(False)
    report = time_program(CONFIG, program)
    path = tmp_path / "trace.json"
    write_trace(report, program, path)
    events = json.loads(path.read_text())["traceEvents"]
    slices = [e for e in events if e["ph"] == "X" and e["name"] != "stall"]
    assert len(slices) == len(program)
    assert {e["tid"] for e in slices} == {0, 1, 2}
    assert any(e["name"] == "stall" for e in events)
    assert slices[0]["dur"] == pytest.approx(LOAD / P.clock_mhz)
