"""The workload suites end to end: DeepBench's inference GEMMs and convolutions and ResNet-18's
layers, compiled for the default configuration and two others (batch2, block8_small), simulated
in strict mode (``run_module`` simulates with ``strict=True``: a program breaking a rule of the
FPGA designs raises) and compared bit for bit with the reference backend.

The shapes come from the CSVs shipped in the package (``vtac/data``), so the suite never shrinks
when the shared workloads folder is absent. GEMMs run at their real M and K with N capped at 4
(issue 4 allows a reduced N); rows with N = 1 or 2 run at their own N.

Two tiers. ``pytest`` (the README's test command, within the CI budget) runs a fixed spread of
every suite: every sixth DeepBench GEMM shape on the default configuration (int32 and
requantized results alternating), the shapes that are not multiples of 16 on every
configuration, two more GEMMs on each other one, every sixth DeepBench convolution and every one
with 1 or 3 input channels on the default, a few batched on batch2, five ResNet-18 layers reduced
on batch2 and two on block8_small (tests/test_compiler.py runs C1 and C2 at full size).
``VTAC_FULL_SUITE=1 pytest tests/test_workloads.py`` runs all of it (far longer): every shape in
both variants on every configuration, the K = 500000 GEMMs (512 or 1024 rows of a 256 or 512 MB
operand) included, every convolution, every ResNet-18 layer at full size. Without it the rest is
skipped, saying so. ``benchmarks/`` runs the full-size shapes.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
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
FULL = os.environ.get("VTAC_FULL_SUITE") == "1"
#: a case of the full tier only (see the module docstring)
FULL_ONLY = pytest.mark.skipif(not FULL, reason="in the full tier: VTAC_FULL_SUITE=1")


def tier(in_ci: bool) -> tuple[pytest.MarkDecorator, ...]:
    """The marks of a case: none if the default run has it, else FULL_ONLY."""
    return () if in_ci else (FULL_ONLY,)


def gemm_cases(
    shapes: list[tuple[int, int, int]], in_ci: Callable[[int, tuple[int, int, int], bool], bool]
) -> list[object]:
    """(shape, epilogue) of every shape in both variants (int32, requantized to int8); those
    ``in_ci(index, shape, epilogue)`` rejects run in the full tier only."""
    return [
        pytest.param(
            shape,
            epilogue,
            marks=tier(in_ci(i, shape, epilogue)),
            id=f"{gemm_id(shape)}-{'requant' if epilogue else 'int32'}",
        )
        for i, shape in enumerate(shapes)
        for epilogue in (False, True)
    ]


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


def default_in_ci(i: int, shape: tuple[int, int, int], epilogue: bool) -> bool:
    """Every sixth shape below K = 500000, int32 and requantized alternating; both variants of
    the shapes that are not multiples of 16."""
    if shape in NOT_MULTIPLES:
        return True
    return shape not in HEAVY and i % 6 == 0 and epilogue == (i % 12 == 6)


def others_in_ci(i: int, shape: tuple[int, int, int], epilogue: bool) -> bool:
    """Two shapes of the set, and the shapes that are not multiples of 16 (int32 and
    requantized alternating)."""
    if shape in NOT_MULTIPLES:
        return epilogue == (NOT_MULTIPLES.index(shape) % 2 == 1)
    return i in (0, 24) and epilogue == (i == 24)


@pytest.mark.parametrize(("shape", "epilogue"), gemm_cases(GEMMS + NOT_MULTIPLES, default_in_ci))
def test_deepbench_gemm_default_config(shape: tuple[int, int, int], epilogue: bool) -> None:
    check(matmul(*shape, epilogue))


@pytest.mark.parametrize(("shape", "epilogue"), gemm_cases(GEMMS + NOT_MULTIPLES, others_in_ci))
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


def conv_cases(in_ci: Callable[[int, tuple[int, ...]], bool], batched: bool) -> list[object]:
    """Every case of CONVS; those ``in_ci(index, case)`` rejects run in the full tier only."""
    return [
        pytest.param(
            case,
            marks=tier(in_ci(i, case)),
            id="-".join(map(str, case if batched else case[1:])),
        )
        for i, case in enumerate(CONVS)
    ]


@pytest.mark.parametrize("case", conv_cases(lambda i, c: i % 6 == 0 or c[1] in (1, 3), False))
def test_deepbench_conv_default_config(case: tuple[int, ...]) -> None:
    check(conv_text(case, 1))


@pytest.mark.parametrize(
    "case", conv_cases(lambda i, c: i % 9 == 1 or (c[0] == 2 and c[1] in (1, 3)), True)
)
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


@pytest.mark.parametrize("name", [pytest.param(n, marks=tier(False)) for n in RESNET])
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


def resnet_in_ci(config: str, name: str) -> bool:
    """Five layers on batch2 (batched: C1's 3 channels, a 3x3 of each stride, the 1x1
    downsamplings, the last), two on block8_small."""
    return name in (("C1", "C2", "C4", "C7", "C11") if config == "batch2" else ("C1", "C5"))


@pytest.mark.parametrize(
    ("config", "batch", "name"),
    [
        pytest.param(config, batch, name, marks=tier(resnet_in_ci(config, name)))
        for config, batch in (("batch2", 2), ("block8_small", 1))
        for name in RESNET
    ],
)
def test_resnet18_layer_other_configs(config: str, batch: int, name: str) -> None:
    """Every channel of every layer, on a few output positions; batched on batch2."""
    report = check(resnet_text(name, batch, reduced=True), config)
    if name == "C1":
        fixed = fixed_utilization(vtac.parse_ir(resnet_text(name, batch, True)), CONFIGS[config])
        assert report.compiled.embedding.utilization > fixed
