"""The cost layer: the fast model against the timed simulator on small programs."""

from __future__ import annotations

import dataclasses

import pytest

import vtac
from vtac.compiler import compile_module
from vtac.estimate import estimate_function, plan_function
from vtac.passes.schedule import TileOptions
from vtac.runtime.config import VTAConfig
from vtac.runtime.cost_model import AnalyticBound, TimedSimulation
from vtac.runtime.fast_model import FastModel, edge_cycles
from vtac.runtime.target import Target
from vtac.runtime.timing import time_program
from vtac.workloads import conv, matmul

CHAIN = """
func.func @chain(%x: tensor<16x64xi8>, %w0: tensor<32x64xi8>, %w1: tensor<16x32xi8>)
    -> tensor<16x16xi32> {
  %a = nn.dense %x, %w0 : (tensor<16x64xi8>, tensor<32x64xi8>) -> tensor<16x32xi32>
  %b = nn.shr %a {amount = 8 : i64} : (tensor<16x32xi32>) -> tensor<16x32xi32>
  %c = nn.cast %b {mode = "saturate"} : (tensor<16x32xi32>) -> tensor<16x32xi8>
  %d = nn.dense %c, %w1 : (tensor<16x32xi8>, tensor<16x32xi8>) -> tensor<16x16xi32>
  func.return %d : tensor<16x16xi32>
}
"""

# (IR, compile options, configuration): small programs, every walk short enough to be
# evaluated whole, some with splits, one thread, one accumulator part, an int32 result
CASES = {
    "gemm": (matmul(32, 64, 48, True), {}, None),
    "gemm_int32": (matmul(16, 48, 32, False), {}, None),
    "conv": (conv(16, 8, 32, 3, 1, 1), {}, None),
    "conv_split": (
        conv(32, 8, 32, 3, 1, 1),
        {"tiling": TileOptions(tiles={"oh": 4}, vthreads=2, head="oh:2", tail="oh:1+1")},
        None,
    ),
    "conv_one_thread": (conv(16, 8, 32, 3, 1, 1), {"tiling": TileOptions(vthreads=1)}, None),
    "gemm_acc_threads": (
        matmul(32, 64, 64, True),
        {"tiling": TileOptions(vthreads=2, acc_threads=1)},
        None,
    ),
    "gemm_batch2": (matmul(32, 64, 48, True), {}, "batch2"),
    "chain": (CHAIN, {}, None),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple:
    text, options, config_name = CASES[request.param]
    config = VTAConfig.named(config_name) if config_name else VTAConfig()
    target = Target.of(config)
    planned = plan_function(vtac.parse_ir(text), target, **options)
    compiled = compile_module(vtac.parse_ir(text), config, **options)
    return target, planned, compiled


def test_fast_model_is_the_timed_simulation_on_short_walks(case: tuple) -> None:
    target, planned, compiled = case
    timed = time_program(target.config, compiled.image.insns, target.timing)
    truth = TimedSimulation(target).estimate(planned.stages)
    estimate = FastModel(target).estimate(planned.stages)
    assert truth is not None and estimate is not None
    assert truth.cycles == timed.cycles  # the plan is the compiled program
    assert estimate.cycles == pytest.approx(truth.cycles, rel=0.002)
    assert estimate.busy == pytest.approx(truth.busy, rel=0.002)
    assert estimate.port_busy == pytest.approx(truth.port_busy, rel=0.002)
    assert estimate.cycles >= planned.roofline  # the shared port keeps every program above it


def test_analytic_bound_estimates_every_stage(case: tuple) -> None:
    target, planned, _ = case
    bound = AnalyticBound(target).estimate(planned.stages)
    assert bound is not None and bound.cycles > 0


@pytest.mark.parametrize("schedule", [(8, 2), (4, 1)])
def test_long_walks_extrapolate_within_a_percent(schedule: tuple[int, int]) -> None:
    """A walk of many tiles: the model walks a few iterations of its long loops."""
    tile, threads = schedule
    target = Target()
    options = {"tiling": TileOptions(tiles={"m": tile}, vthreads=threads, head="none", tail="none")}
    planned = plan_function(vtac.parse_ir(matmul(512, 32, 32, True)), target, **options)
    (stage, plan) = planned.stages[0]
    assert -(-dict(stage.blocked.loops)["m"] // plan.tile["m"]) > 6  # the loop is sampled
    truth = TimedSimulation(target).estimate(planned.stages)
    estimate = FastModel(target).estimate(planned.stages)
    assert truth is not None and estimate is not None
    assert estimate.cycles == pytest.approx(truth.cycles, rel=0.01)


def test_splits_rank_on_short_walks_as_on_whole_ones() -> None:
    target = Target()
    tiles = {"m": 4, "block_in": 4}  # every k in one tile: the input loads part by part
    options = {"tiling": TileOptions(tiles=tiles, vthreads=2, head="none", tail="none")}
    planned = plan_function(vtac.parse_ir(matmul(256, 64, 64, True)), target, **options)
    ((stage, plan),) = planned.stages
    split = dataclasses.replace(plan, head=vtac.planning.tiling.Split("m", (2,)))
    short = edge_cycles(stage, split, target, 4) - edge_cycles(stage, plan, target, 4)
    whole = [TimedSimulation(target).estimate([(stage, s)]) for s in (split, plan)]
    assert whole[0] is not None and whole[1] is not None
    assert short == whole[0].cycles - whole[1].cycles


def test_the_board_reaches_the_estimate() -> None:
    text = matmul(64, 64, 64, True)
    _, pynq = estimate_function(vtac.parse_ir(text), board="pynq")
    _, nominal = estimate_function(vtac.parse_ir(text), board="de10nano")
    assert nominal.cycles < pynq.cycles  # a faster bus, the same program or a better one
