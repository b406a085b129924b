"""The workload suites end to end: DeepBench's inference GEMMs and convolutions and ResNet-18's
layers, compiled for the default configuration and two others (batch2, block8_small), simulated
in strict mode (``run_module`` simulates with ``strict=True``: a program breaking a rule of the
FPGA designs raises) and compared bit for bit with the reference backend.

The shapes come from the CSVs shipped in the package (``vtac/data``), so the suite never shrinks
when the shared workloads folder is absent. GEMMs run at their real M and K with N capped at 4
(issue 4 allows a reduced N); rows with N = 1 or 2 run at their own N. The six shapes with
K = 500000 (512 or 1024 rows of a 256 or 512 MB operand) run on the default configuration only:
on block8_small one of them compiles for minutes. ``VTAC_FULL_GEMMS=1`` runs them on the other
configurations too.
"""

from __future__ import annotations

import csv
import os
from importlib import resources

import numpy as np
import pytest

import vtac
from vtac.backends.reference import find_function
from vtac.bench import fixed_utilization
from vtac.compiler import RunReport, run_module
from vtac.dialects import nn
from vtac.runtime.config import VTAConfig
from vtac.workloads import conv, matmul

CONFIGS = {name: VTAConfig.named(name) for name in ("default", "batch2", "block8_small")}
OTHER_CONFIGS = ("batch2", "block8_small")


def workload_rows(name: str) -> list[dict[str, str]]:
    """The rows of a workload CSV shipped with vtac."""
    return list(csv.DictReader((resources.files("vtac") / "data" / name).read_text().splitlines()))


def fast_inputs(text: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs of the function in ``text`` drawn directly as int8 (the operands of the
    K = 500000 GEMMs hold 512 MB), int8 extremes included, int32 biases in [-4096, 4096)."""
    function = find_function(vtac.parse_ir(text))
    rng = np.random.default_rng(seed)
    values = {}
    for arg in function.body.block.args:
        shape = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
        if arg.type.element_type == nn.I8:  # type: ignore[attr-defined]
            data = rng.integers(-128, 128, shape, dtype=np.int8)
            data.reshape(-1)[:2] = [-128, 127][: data.size]
        else:
            data = rng.integers(-4096, 4096, shape, dtype=np.int32)
        values[arg.name_hint] = data
    return values


def check(text: str, config: str = "default", **options: object) -> RunReport:
    report = run_module(vtac.parse_ir(text), fast_inputs(text), CONFIGS[config], **options)  # type: ignore[arg-type]
    assert report.match, f"mismatch on {config}:\n{report.outputs}"
    return report


# ------------------------------------------------------------------ DeepBench GEMMs


def deepbench_gemms() -> list[tuple[int, int, int]]:
    """Every distinct (M, min(N, 4), K) of DeepBench's inference GEMMs."""
    rows = workload_rows("deepbench_gemm.csv")
    return sorted({(int(r["M"]), min(int(r["N"]), 4), int(r["K"])) for r in rows})


GEMMS = deepbench_gemms()
#: sizes that are not multiples of 16, padded on every side
NOT_MULTIPLES = [(35, 4, 5124), (5124, 4, 35), (35, 35, 35)]
HEAVY = [shape for shape in GEMMS if shape[2] >= 100_000]
FULL = os.environ.get("VTAC_FULL_GEMMS") == "1"
OTHER_GEMMS = [s for s in GEMMS if FULL or s not in HEAVY]


def gemm_id(shape: tuple[int, int, int]) -> str:
    return "M{}-N{}-K{}".format(*shape)


def test_the_gemm_set_covers_every_deepbench_shape() -> None:
    rows = workload_rows("deepbench_gemm.csv")
    assert len(rows) == 88
    assert {(m, k) for m, _, k in GEMMS} == {(int(r["M"]), int(r["K"])) for r in rows}
    assert {(m, n, k) for m, n, k in GEMMS if n < 4} == {
        (int(r["M"]), int(r["N"]), int(r["K"])) for r in rows if int(r["N"]) < 4
    }
    assert len(GEMMS) == 48 and max(k for _, _, k in GEMMS) == 500_000
    assert sorted(HEAVY) == [(m, n, 500_000) for m in (512, 1024) for n in (1, 2, 4)]


@pytest.mark.parametrize("epilogue", [False, True], ids=["int32", "requant"])
@pytest.mark.parametrize("shape", GEMMS + NOT_MULTIPLES, ids=gemm_id)
def test_deepbench_gemm_default_config(shape: tuple[int, int, int], epilogue: bool) -> None:
    check(matmul(*shape, epilogue))


@pytest.mark.parametrize("epilogue", [False, True], ids=["int32", "requant"])
@pytest.mark.parametrize("shape", OTHER_GEMMS + NOT_MULTIPLES, ids=gemm_id)
@pytest.mark.parametrize("config", OTHER_CONFIGS)
def test_deepbench_gemm_other_configs(
    config: str, shape: tuple[int, int, int], epilogue: bool
) -> None:
    check(matmul(*shape, epilogue), config)


# ----------------------------------------------------------- DeepBench convolutions


def deepbench_convs() -> list[tuple[int, ...]]:
    """Every DeepBench inference convolution with the spatial size reduced to a few output
    positions (the full sizes run in benchmarks/), as (N, C, H, K, R, pad_h, stride_h, W, S,
    pad_w, stride_w); N is the largest batch of the rows of that shape, at most 2. Rows that
    differ only in what is reduced run once."""
    cases: dict[tuple[int, ...], int] = {}
    for row in workload_rows("deepbench_conv.csv"):
        d = {k: int(v) for k, v in row.items() if k not in ("kind", "idx")}
        h = min(d["H"], d["R"] + 3 * d["stride_h"])
        w = min(d["W"], d["S"] + 3 * d["stride_w"])
        key = (d["C"], h, d["K"], d["R"], d["pad_h"], d["stride_h"])
        key += (w, d["S"], d["pad_w"], d["stride_w"])
        cases[key] = max(cases.get(key, 1), min(d["N"], 2))
    return sorted((n, *key) for key, n in cases.items())


CONVS = deepbench_convs()


def conv_text(case: tuple[int, ...], batch: int) -> str:
    _, c, h, k, r, pad, stride, w, s, pad_w, stride_w = case
    return conv(c, h, k, r, pad, stride, batch, w=w, s=s, pad_w=pad_w, stride_w=stride_w)


def test_the_conv_set_covers_every_deepbench_layer() -> None:
    rows = workload_rows("deepbench_conv.csv")
    assert len(rows) == 123
    shapes = {(int(r["C"]), int(r["K"]), int(r["R"]), int(r["S"])) for r in rows}
    assert {(c[1], c[3], c[4], c[8]) for c in CONVS} == shapes
    assert sum(c[0] == 2 for c in CONVS) >= 10  # batched cases for the batch2 run


@pytest.mark.parametrize("case", CONVS, ids=lambda c: "-".join(map(str, c[1:])))
def test_deepbench_conv_default_config(case: tuple[int, ...]) -> None:
    check(conv_text(case, 1))


@pytest.mark.parametrize("case", CONVS, ids=lambda c: "-".join(map(str, c)))
def test_deepbench_conv_batch2(case: tuple[int, ...]) -> None:
    """On BATCH = 2, with the batch the CSV gives the shape (1, or 2 where it has 2 or 4)."""
    check(conv_text(case, case[0]), "batch2")


# ------------------------------------------------------------------ ResNet-18


RESNET = {row["name"]: row for row in workload_rows("resnet18_conv.csv")}


def resnet_text(name: str, batch: int = 1, reduced: bool = False) -> str:
    """Layer ``name`` with the requantizing epilogue; ``reduced``: a few output rows and
    columns (the kernel's extent plus three strides), every channel."""
    d = {k: int(v) for k, v in RESNET[name].items() if k != "name"}
    h, w = d["height"], d["width"]
    if reduced:
        h = min(h, d["kernel_h"] + 3 * d["stride_h"])
        w = min(w, d["kernel_w"] + 3 * d["stride_w"])
    return conv(
        d["in_channels"],
        h,
        d["out_channels"],
        d["kernel_h"],
        d["pad_h"],
        d["stride_h"],
        batch,
        w=w,
        s=d["kernel_w"],
        pad_w=d["pad_w"],
        stride_w=d["stride_w"],
    )


def test_resnet18_has_eleven_layers() -> None:
    assert list(RESNET) == [f"C{i}" for i in range(1, 12)]


@pytest.mark.parametrize("name", list(RESNET))
def test_resnet18_layer_full_size(name: str) -> None:
    text = resnet_text(name)
    report = check(text)
    chosen = report.compiled.embedding.utilization
    fixed = fixed_utilization(vtac.parse_ir(text))
    if name == "C1":  # 3 input channels: (ic, kh, kw) folded onto BLOCK_IN beats channel padding
        assert fixed == pytest.approx(3 / 16)
        assert chosen > 0.9 > fixed
        assert "kh" in report.compiled.embedding.block_in
    else:  # channels fill the lanes: the fixed embedding is already the best
        assert chosen == fixed == 1.0


@pytest.mark.parametrize("name", list(RESNET))
@pytest.mark.parametrize(("config", "batch"), [("batch2", 2), ("block8_small", 1)])
def test_resnet18_layer_other_configs(config: str, batch: int, name: str) -> None:
    """Every channel of every layer, on a few output positions; batched on batch2."""
    report = check(resnet_text(name, batch, reduced=True), config)
    if name == "C1":
        fixed = fixed_utilization(vtac.parse_ir(resnet_text(name, batch, True)), CONFIGS[config])
        assert report.compiled.embedding.utilization > fixed
