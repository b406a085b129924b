"""vtac tune: spaces judged by the compiler, tuners that propose valid configurations only,
resumable logs, --tuning-log, and a tuning job on a local Ray instance when Ray is installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vtac.cli import main
from vtac.runtime.config import VTAConfig
from vtac.tune import TuneError
from vtac.tune.log import best, read
from vtac.tune.measure import BUILTIN, measure_one
from vtac.tune.space import Space, Workload, build_space, canonical
from vtac.tune.tuners import make_tuner
from vtac.tune.validity import limit_of
from vtac.workloads import conv

TEXT = conv(32, 8, 32, 3, 1, 1)


@pytest.fixture(scope="module")
def workload() -> Workload:
    return Workload(TEXT, None, VTAConfig(), "small")


@pytest.fixture(scope="module")
def spaces(workload: Workload) -> dict[str, Space]:
    return {kind: build_space(workload, kind) for kind in ("vtac", "tvm")}


@pytest.fixture(scope="module")
def mlir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tune") / "small.mlir"
    path.write_text(TEXT)
    return path


def test_space_verdicts_are_the_compilers(workload: Workload, spaces: dict[str, Space]) -> None:
    """Valid configurations compile; invalid ones are refused naming the limit the space gave."""
    rng = np.random.default_rng(0)
    for space in spaces.values():
        assert 0 < space.valid.sum() < len(space)
        valid = rng.choice(np.flatnonzero(space.valid), 4, replace=False)
        invalid = rng.choice(np.flatnonzero(~space.valid), 4, replace=False)
        for i in valid:
            assert measure_one(workload, space.configs[i], "model").cycles
        for i in invalid:
            result = measure_one(workload, space.configs[i], "model")
            assert result.cycles is None
            assert limit_of(space.broken[i]) in limit_of(result.error)  # type: ignore[arg-type]
        assert sum(space.limits().values()) == int((~space.valid).sum())


def test_valid_configuration_simulates_correctly(workload: Workload, spaces: dict) -> None:
    space = spaces["vtac"]
    valid = np.flatnonzero(space.valid)
    i = int(valid[np.argmin(space.estimates[valid])])
    result = measure_one(workload, space.configs[i], "simulator")
    assert result.correct is True and result.cycles


def test_vtac_tuners_propose_valid_configurations_only(spaces: dict[str, Space]) -> None:
    pytest.importorskip("xgboost")
    space = spaces["vtac"]
    for name in ("random", "xgb", "vtac"):
        tuner = make_tuner(name, space, seed=1)
        proposed: list[int] = []
        for _ in range(8):
            batch = tuner.next_batch(8)
            proposed += batch
            tuner.update(batch, [int(space.estimates[i]) for i in batch])
        assert len(set(proposed)) == len(proposed) == 64
        assert space.valid[proposed].all()


def test_vtac_tuner_starts_from_the_ranking(spaces: dict[str, Space]) -> None:
    pytest.importorskip("xgboost")
    space = spaces["vtac"]
    first = make_tuner("vtac", space).next_batch(4)
    ranked = np.sort(space.estimates[space.valid])[:4]
    assert sorted(space.estimates[first]) == list(ranked)


def test_tvm_space_has_the_template_knobs(spaces: dict[str, Space]) -> None:
    names = {k.name for k in spaces["tvm"].knobs}
    assert {"tile_b", "tile_h", "tile_w", "tile_ci", "tile_co", "oc_nthread", "h_nthread"} <= names
    assert len(spaces["tvm"]) == 1 * 4 * 4 * 2 * 2 * 4  # factor pairs of 1, 8, 8, 2, 2; threads


def test_space_command(mlir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tune", str(mlir), "--space"]) == 0
    out = capsys.readouterr().out
    assert "configurations," in out and "trips" in out  # a limit, its numbers as N


def test_resume_never_measures_twice(mlir: Path, tmp_path: Path) -> None:
    log = tmp_path / "tune.jsonl"
    base = ["tune", str(mlir), "--measure", "model", "--tuner", "random", "--quiet"]
    assert main([*base, "--trials", "6", "--log", str(log)]) == 0
    assert main([*base, "--trials", "6", "--log", str(log), "--seed", "0"]) == 0
    records = read(log)
    assert len(records) == 12
    assert len({canonical(r["config"]) for r in records}) == 12
    assert records[0]["config"] == BUILTIN
    assert {"workload", "config", "cycles", "correct", "error", "time"} <= records[0].keys()


def test_tuning_log_applies_the_best_record(
    mlir: Path,
    tmp_path: Path,
    workload: Workload,
    spaces: dict[str, Space],
    capsys: pytest.CaptureFixture[str],
) -> None:
    space = spaces["vtac"]
    chosen = space.configs[int(np.flatnonzero(space.valid)[0])]
    log = tmp_path / "tune.jsonl"
    records = [
        {"workload": workload.key, "config": chosen, "measure": "simulator", "cycles": 10},
        {"workload": workload.key, "config": BUILTIN, "measure": "simulator", "cycles": 20},
        {"workload": "other:0", "config": BUILTIN, "measure": "simulator", "cycles": 1},
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert best(read(log), workload.key)["config"] == chosen  # type: ignore[index]
    out = tmp_path / "image"
    assert main(["compile", str(mlir), "-o", str(out), "--tuning-log", str(log)]) == 0
    sizes = ", ".join(f"{n}={s}" for n, s in chosen["tiles"].items())  # type: ignore[attr-defined]
    assert f"tiles[{sizes}]" in capsys.readouterr().out
    assert (out / "program.json").exists()


def test_tuning_log_schedule_shows(
    mlir: Path, tmp_path: Path, workload: Workload, spaces: dict[str, Space], capsys
) -> None:
    space = spaces["vtac"]
    i = int(np.flatnonzero(space.valid)[0])
    tiles = space.configs[i]["tiles"]
    log = tmp_path / "tune.jsonl"
    record = {"workload": workload.key, "config": space.configs[i], "measure": "model"}
    log.write_text(json.dumps(record | {"cycles": 5}) + "\n")
    assert main(["run", str(mlir), "--tuning-log", str(log)]) == 0
    sizes = ", ".join(f"{n}={s}" for n, s in tiles.items())  # type: ignore[union-attr]
    assert f"tiles[{sizes}]" in capsys.readouterr().out
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(record | {"workload": "conv:0", "cycles": 5}) + "\n")
    assert main(["run", str(mlir), "--tuning-log", str(other)]) == 0  # the built-in search


def test_malformed_log_is_an_error(mlir: Path, tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text("{not json\n")
    with pytest.raises(TuneError, match="bad.jsonl:1"):
        read(log)
    assert main(["run", str(mlir), "--tuning-log", str(log)]) == 1


def test_tuning_on_ray(mlir: Path, tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    log = tmp_path / "ray.jsonl"
    try:
        args = ["tune", str(mlir), "--measure", "model", "--tuner", "random", "--quiet"]
        assert main([*args, "--trials", "4", "--ray", "auto", "--log", str(log)]) == 0
    finally:
        ray.shutdown()
    records = read(log)
    assert len(records) == 4 and all(r["cycles"] for r in records)
