"""benchmarks/: sim_throughput.py's streams compute their layers and it prints its table; the
DeepBench scripts read the shipped CSVs by default and report what they say."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from vtac.runtime.config import VTAConfig
from vtac.runtime.simulator import simulate

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "sim_throughput.py"
_spec = importlib.util.spec_from_file_location("sim_throughput", SCRIPT)
assert _spec is not None and _spec.loader is not None
sim_throughput = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim_throughput)

CONFIG = VTAConfig()


def run_strict(build, tiles: int):  # noqa: ANN001, ANN201
    image, macs = build(CONFIG, tiles)
    dram = image.dram.copy()
    stats = simulate(CONFIG, image.insns, dram, strict=True)
    assert stats.counters["gemm_counter"] * CONFIG.macs_per_gemm_uop == macs
    return image, dram, stats


def requantize(acc: np.ndarray) -> np.ndarray:
    """The streams' epilogue: shift right by 8, clip to [0, 127]."""
    return np.clip(acc >> 8, 0, 127).astype(np.int8)


def test_dense_stream_computes_its_tiles() -> None:
    image, dram, stats = run_strict(sim_throughput.dense_stream, 5)  # 1 row tile + 1 tile
    x = image.read_output("x").astype(np.int64)  # [n, K]
    w = image.read_output("w").astype(np.int64)  # [O/16, K/16, 16 out, 16 in]
    y = image.read_output("y", dram).reshape(len(x), -1, 16)
    want = requantize(np.einsum("nki,bkoi->nbo", x.reshape(len(x), -1, 16), w))
    np.testing.assert_array_equal(y[:32], want[:32])  # the first row tile: 4 output tiles
    np.testing.assert_array_equal(y[32:, :8], want[32:, :8])  # the fifth tile
    assert not y[32:, 8:].any()
    assert stats.by_opcode["STORE"] == 5 and stats.by_opcode["ALU"] == 15
    assert stats.counters["inp_load_nbytes"] == 5 * 4 * 32 * 16 * 16


def test_conv3x3_stream_computes_its_tile() -> None:
    image, dram, _ = run_strict(sim_throughput.conv3x3_stream, 3)
    x = image.read_output("x").astype(np.int64).reshape(4, 10, 16, 16)  # [ic, rows, cols, 16]
    w = image.read_output("w").astype(np.int64).reshape(2, 4, 3, 3, 16, 16)  # [oc, ic, kh, kw]
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
    acc = np.einsum("irckyx,oiyxpk->orcp", windows, w)  # every tile computes the same one
    y = image.read_output("y", dram).reshape(2, 8, 14, 16)
    np.testing.assert_array_equal(y, requantize(acc))


def test_it_prints_both_streams(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rows.json"
    assert sim_throughput.main(["--repeat", "1", "--tiles", "2", "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["stream", "insns", "MACs", "seconds", "MACs/s"]
    assert [line.split()[0] for line in lines[1:]] == ["conv3x3", "dense"]
    rows = json.loads(out.read_text())
    assert [r["stream"] for r in rows] == ["conv3x3", "dense"]
    assert all(r["macs_per_second"] > 0 for r in rows)


def load_script(name: str):  # noqa: ANN201
    path = SCRIPT.parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["deepbench_gemm", "deepbench_conv"])
def test_deepbench_scripts_default_to_the_shipped_csv(name: str) -> None:
    """Without --csv the scripts read vtac/data (no ../shared folder needed)."""
    from importlib import resources

    script = load_script(name)
    shipped = (resources.files("vtac") / "data" / f"{name}.csv").read_text()
    rows = script.read_rows(None)
    assert rows == list(csv.DictReader(shipped.splitlines()))
    assert len(rows) > 80 and rows[0]["idx"] == "0"


def test_deepbench_gemm_script_reads_a_given_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "g.csv").write_text("kind,idx,M,N,K\nmine,7,35,3,40\n")
    out = tmp_path / "rows.json"
    script = load_script("deepbench_gemm")
    assert script.main(["--csv", str(tmp_path / "g.csv"), "--simulate", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert (row["workload"], row["M"], row["N"], row["K"], row["correct"]) == (
        "mine/7",
        35,
        3,
        40,
        True,
    )
    assert capsys.readouterr().out.splitlines()[1].split()[:4] == ["mine/7", "35", "3", "40"]


def test_deepbench_conv_script_reports_both_utilisations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fixed_lane_util on every row (vtac-isel with embedding=fixed), as vtac bench reports it."""
    (tmp_path / "c.csv").write_text(
        "kind,idx,W,H,C,N,K,R,S,pad_h,pad_w,stride_h,stride_w\n"
        "mine,0,9,9,3,1,16,3,3,1,1,2,2\n"
        "mine,1,6,6,32,1,16,3,3,1,1,1,1\n"
    )
    out = tmp_path / "rows.json"
    script = load_script("deepbench_conv")
    assert script.main(["--csv", str(tmp_path / "c.csv"), "--json", str(out)]) == 0
    three, many = json.loads(out.read_text())
    assert three["fixed_utilization"] == pytest.approx(3 / 16, abs=1e-4)
    assert three["utilization"] > three["fixed_utilization"] and three["fixed_cycles"] > 0
    assert many["fixed_utilization"] == many["utilization"] == 1.0
    assert three["correct"] and many["correct"]
    lines = capsys.readouterr().out.splitlines()
    column = lines[0].split().index("fixed_lane_util")
    assert lines[1].split()[column] == "0.188"
