"""vtac explore: the resource model against VTA's shipped configurations and the boards, the
space, the objective's cache, the algorithms and the command."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math

import pytest

from vtac.cli import main
from vtac.explore.algorithms import ALGORITHMS
from vtac.explore.cli import ALGORITHM_NAMES
from vtac.explore.evaluators import LocalEvaluator, ObjectiveSpec, TableEvaluator
from vtac.explore.objective import Objective, load_suite, stage_cycles
from vtac.explore.resources import BOARDS, estimate, fits, memory_blocks
from vtac.explore.runner import explore
from vtac.explore.space import Space
from vtac.runtime.config import VTAConfig

SMALL_SUITE = (
    "name,batch,in_channels,height,width,out_channels,kernel_h,kernel_w,pad_h,pad_w,"
    "stride_h,stride_w\nS1,1,16,8,8,32,3,3,1,1,1,1\n"
)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("suite") / "small.csv"
    path.write_text(SMALL_SUITE)
    return str(path)


# ------------------------------------------------------------------ resources


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_vta_default_fits_every_board(board: str) -> None:
    """tvm-vta's pynq, ultra96, zcu104 and de10nano samples all use the default config."""
    assert fits(estimate(VTAConfig(), BOARDS[board]), BOARDS[board])


def test_default_on_pynq_block_by_block() -> None:
    res = estimate(VTAConfig(), BOARDS["pynq"])
    # 8192x32 micro-ops, 2048x128 inputs, 1024x2048 weights, 2048x512 accumulators,
    # 2048x128 outputs; three 512x128 and four 1024x8 queues
    assert dict(res.buffers) == {
        "uop": 16,
        "inp": 16,
        "wgt": 128,
        "acc": 64,
        "out": 16,
        "queues": 16,
    }
    assert res.memory_blocks == 256 <= BOARDS["pynq"].memory_blocks
    assert res.dsp == 128  # 256 products, two per slice


@pytest.mark.parametrize(
    ("name", "fitting"),
    [
        ("batch2", {"ultra96", "zcu104", "de10nano"}),  # 512 products: 256 DSP > pynq's 220
        ("batch4", {"zcu104"}),
        ("block32", set()),  # 640 BRAM18: 512 KiB of weights alone take 512
        ("block8_small", set(BOARDS)),
        ("big_uop", set(BOARDS)),
    ],
)
def test_shipped_configs_on_boards(name: str, fitting: set[str]) -> None:
    config = VTAConfig.named(name)
    assert {b for b, board in BOARDS.items() if fits(estimate(config, board), board)} == fitting


def test_memory_blocks_pick_the_best_aspect_ratio() -> None:
    ratios = ((2048, 8), (1024, 16))
    assert memory_blocks(2048, 128, ratios) == 16
    assert memory_blocks(256, 2048, ratios) == 128  # shallow: a 1Kx16 block per 16 bits
    assert memory_blocks(4096, 8, ratios) == 2


def test_budget_fraction_and_monotonicity() -> None:
    pynq = BOARDS["pynq"]
    res = estimate(VTAConfig(), pynq)
    assert fits(res, pynq, 1.0) and not fits(res, pynq, 0.5)
    smaller = estimate(dataclasses.replace(VTAConfig(), LOG_ACC_BUFF_SIZE=16), pynq)
    assert smaller.memory_blocks == res.memory_blocks - 32 - 8  # half the acc and out buffers


# ---------------------------------------------------------------------- space


def test_space_holds_only_valid_fitting_configs() -> None:
    pynq = BOARDS["pynq"]
    space = Space(pynq)
    assert 0 < len(space) < space.raw_size
    for point in space:
        assert fits(estimate(space.config(point), pynq), pynq)
    assert space.point(VTAConfig()) in space
    assert len(Space(pynq, 0.5)) < len(space)


def test_space_prefixes_and_neighbours() -> None:
    space = Space(BOARDS["ultra96"])
    prefix: tuple[int, ...] = ()
    for _ in space.sizes:
        allowed = space.allowed(prefix)
        assert allowed
        prefix = (*prefix, allowed[-1])
    assert prefix in space
    assert all(n in space for n in space.neighbours(prefix))


# ------------------------------------------------------------------ objective


def test_capped_depths_do_not_change_the_schedule(suite: str) -> None:
    objective = Objective(load_suite(suite), "pynq")
    config = VTAConfig()
    ((stage,),) = objective._analysed(config)
    inp, wgt, acc = stage.caps
    # a weight buffer at the cap and one twice as deep: the same tiling
    at_cap = (wgt * config.wgt_elem_bytes).bit_length() - 1  # log2 bytes of `wgt` entries
    for log in (at_cap, at_cap + 1):
        deeper = dataclasses.replace(config, LOG_WGT_BUFF_SIZE=log)
        assert stage.key(deeper)[2] == wgt
    cycles = [
        stage_cycles(
            stage.kernel, objective.target(dataclasses.replace(config, LOG_WGT_BUFF_SIZE=log))
        )
        for log in (at_cap, at_cap + 1)
    ]
    assert cycles[0] == cycles[1] is not None


def test_objective_caches_and_sums(suite: str) -> None:
    objective = Objective(load_suite(suite), "pynq")
    config = VTAConfig()
    value = objective(config)
    assert value == sum(objective.workload_cycles(config).values())
    # the micro-op buffer beyond 2048 micro-ops shares the cache entry
    entries = len(objective._cache)
    assert objective(dataclasses.replace(config, LOG_UOP_BUFF_SIZE=14)) == value
    assert len(objective._cache) == entries
    per_clock = Objective(load_suite(suite), "ultra96", per_clock=True)
    assert math.isclose(per_clock(config) * 333.0, Objective(load_suite(suite), "ultra96")(config))


# ----------------------------------------------------------------- algorithms


def _synthetic(config: VTAConfig) -> tuple[float, dict[str, int | None]]:
    """A smooth landscape with one optimum, for the algorithms' own tests."""
    value = (
        1e6 / config.macs_per_gemm_uop**0.8
        + 3e3 * abs(config.LOG_INP_BUFF_SIZE - 15)
        + 2e3 * abs(config.LOG_WGT_BUFF_SIZE - 17)
        + 1e3 * abs(config.LOG_ACC_BUFF_SIZE - 16)
        + 10 * config.LOG_UOP_BUFF_SIZE
    )
    return value, {}


def test_algorithm_names_match() -> None:
    assert set(ALGORITHM_NAMES) == set(ALGORITHMS)


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_algorithms_stay_in_the_space_and_repeat_with_a_seed(name: str) -> None:
    if name == "bayes" and importlib.util.find_spec("optuna") is None:
        pytest.skip("optuna is not installed")
    space = Space(BOARDS["pynq"])
    asked = []

    def evaluate(configs: list[VTAConfig]) -> list:
        for config in configs:
            assert space.point(config) in space
            asked.append(space.point(config))
        return [_synthetic(c) for c in configs]

    runs = [explore(space, name, evaluate, 60, seed=3) for _ in range(2)]
    assert len(set(asked)) == len(runs[0].history)  # no point evaluated twice in a run
    assert [r.point for r in runs[0].history] == [r.point for r in runs[1].history]
    assert len(runs[0].history) <= 60


def test_searches_find_the_optimum_of_a_smooth_landscape() -> None:
    space = Space(BOARDS["pynq"])
    evaluator = TableEvaluator(_synthetic)
    optimum = min(_synthetic(space.config(p))[0] for p in space)
    exhaustive = explore(space, "exhaustive", evaluator, len(space))
    assert exhaustive.best.value == optimum
    for name in ("confuciux", "ga", "anneal"):
        run = explore(space, name, evaluator, 200, seed=0)
        assert run.best.value <= optimum * 1.01, name


def test_pareto_front_is_not_dominated() -> None:
    space = Space(BOARDS["pynq"])
    run = explore(space, "random", TableEvaluator(_synthetic), 80, seed=1)
    front = run.pareto_front()
    assert front and front[0].value == run.best.value

    def key(point: tuple[int, ...]) -> tuple[float, int, int]:
        res = estimate(space.config(point), space.board)
        return (_synthetic(space.config(point))[0], res.memory_blocks, res.dsp)

    keys = [key(r.point) for r in run.history]
    for member in front:
        mine = key(member.point)
        assert not any(
            all(o <= m for o, m in zip(other, mine, strict=True)) and other != mine
            for other in keys
        )
    # and every point off the front is dominated by one on it
    on_front = [key(m.point) for m in front]
    for other in keys:
        assert any(
            all(f <= o for f, o in zip(front_key, other, strict=True)) for front_key in on_front
        )


# ------------------------------------------------------------------------ CLI


def test_explore_command(suite: str, tmp_path, capsys: pytest.CaptureFixture) -> None:  # noqa: ANN001
    out, report = tmp_path / "vta_config.json", tmp_path / "run.json"
    argv = ["explore", suite, "--board", "pynq", "--algo", "random", "--evals", "3"]
    argv += ["--workers", "1", "-o", str(out), "--json", str(report)]
    assert main(argv) == 0
    best = VTAConfig.load(out)  # what --config accepts
    data = json.loads(report.read_text())
    assert data["best_config"] == best.to_dict() and best.TARGET == "pynq"
    assert len(data["history"]) == 3
    assert data["best_cycles"] <= min(h["value"] for h in data["history"])
    assert data["default_cycles"] > 0 and data["pareto_front"]
    assert "best:" in capsys.readouterr().out


def test_explore_refuses_an_empty_budget(suite: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["explore", suite, "--budget-fraction", "0.01", "--workers", "1"]) == 1
    assert "no configuration fits" in capsys.readouterr().err


def test_local_processes_match_in_process(suite: str) -> None:
    spec = ObjectiveSpec(tuple(load_suite(suite)), "pynq")
    configs = [VTAConfig(), dataclasses.replace(VTAConfig(), LOG_INP_BUFF_SIZE=14)]
    pool = LocalEvaluator(spec, workers=2)
    try:
        assert pool(configs) == LocalEvaluator(spec, workers=1)(configs)
    finally:
        pool.close()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_explore_on_local_ray(suite: str, tmp_path) -> None:  # noqa: ANN001
    import ray

    argv = ["explore", suite, "--evals", "2", "--ray", "local", "--workers", "1"]
    try:
        assert main([*argv, "-o", str(tmp_path / "c.json")]) == 0
    finally:
        ray.shutdown()
