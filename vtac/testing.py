"""Hypothesis strategies for fuzzing vtac (and passes built on it).

    from hypothesis import given
    from vtac.testing import programs, check_program

    @given(programs())
    def test_my_pipeline(program):
        check_program(program)          # compile, simulate strictly, compare bit for bit

:func:`programs` draws nn functions (dense, matmul or conv2d with random shapes, strides 1 to 3,
paddings up to and past the kernel's extent, kernels 1 to 7, channel counts including 1, 3 and
non-multiples of 16) followed by a chain of 0 to 4 epilogue ops, with inputs that include the
int8 extremes; :func:`configs` draws valid hardware configurations. A failure prints a
ready-to-run ``.mlir`` file and the command line that shows the difference (:func:`reproducer`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from vtac.runtime.config import ConfigError, VTAConfig


@dataclass
class Program:
    """A drawn program: its IR text, its inputs, and the hardware configuration."""

    text: str
    inputs: dict[str, np.ndarray]
    config: VTAConfig
    options: dict[str, object] = field(default_factory=dict)


def int8_arrays(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random int8 data with -128 and 127 always present."""
    rng = np.random.default_rng(seed)
    data = rng.integers(-128, 128, shape).astype(np.int8)
    flat = data.reshape(-1)
    flat[0] = -128
    if flat.size > 1:
        flat[-1] = 127
    return data


@st.composite
def configs(draw: st.DrawFn) -> VTAConfig:
    """Valid configurations: BATCH 1 to 4, BLOCK 4 to 32, buffers from small to the default."""
    while True:
        log_batch = draw(st.integers(0, 2))
        log_block = draw(st.integers(2, 5))
        values = {
            "LOG_BATCH": log_batch,
            "LOG_BLOCK": log_block,
            "LOG_UOP_BUFF_SIZE": draw(st.integers(12, 15)),
            "LOG_INP_BUFF_SIZE": draw(st.integers(log_batch + log_block + 6, 15)),
            "LOG_WGT_BUFF_SIZE": draw(st.integers(2 * log_block + 4, 2 * log_block + 10)),
            "LOG_ACC_BUFF_SIZE": draw(st.integers(log_batch + log_block + 8, 17)),
        }
        try:
            return VTAConfig(**values)
        except ConfigError:
            continue


EPILOGUE_OPS = ("shr", "bias", "clip", "relu", "cast_wrap", "cast_saturate")


@st.composite
def programs(draw: st.DrawFn, config: VTAConfig | None = None) -> Program:
    """An nn function of one contraction and an epilogue chain, with inputs."""
    config = config or draw(st.sampled_from([VTAConfig(), VTAConfig.named("batch2")]))
    kind = draw(st.sampled_from(["dense", "matmul", "conv2d"]))
    seed = draw(st.integers(0, 2**31 - 1))
    lines: list[str] = []
    if kind == "conv2d":
        c = draw(st.sampled_from([1, 3, 5, 16, 20]))
        k = draw(st.sampled_from([1, 4, 16, 24]))
        r, s = draw(st.integers(1, 7)), draw(st.integers(1, 7))
        sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        # paddings as wide as the kernel or wider, and past the 15 elements a LOAD can add
        ph, pw = (draw(st.integers(0, extent + 1) | st.just(16)) for extent in (r, s))
        h = draw(st.integers(max(1, r - 2 * ph), r + 8))
        w = draw(st.integers(max(1, s - 2 * pw), s + 8))
        n = draw(st.integers(1, 2))
        oh, ow = (h + 2 * ph - r) // sh + 1, (w + 2 * pw - s) // sw + 1
        x, wt = f"tensor<{n}x{c}x{h}x{w}xi8>", f"tensor<{k}x{c}x{r}x{s}xi8>"
        shape = (n, k, oh, ow)
        args = [("x", x, (n, c, h, w)), ("w", wt, (k, c, r, s))]
        lines.append(
            f"%v0 = nn.conv2d %x, %w {{strides = array<i64: {sh}, {sw}>, padding = array<i64: "
            f"{ph}, {pw}, {ph}, {pw}>}} : ({x}, {wt}) -> {_t(shape, 'i32')}"
        )
        channels = k
    else:
        a, b, c = (draw(st.integers(1, 70)) for _ in range(3))
        if kind == "dense":
            args = [("x", f"tensor<{a}x{c}xi8>", (a, c)), ("w", f"tensor<{b}x{c}xi8>", (b, c))]
        else:
            args = [("x", f"tensor<{a}x{c}xi8>", (a, c)), ("w", f"tensor<{c}x{b}xi8>", (c, b))]
        shape = (a, b)
        lines.append(f"%v0 = nn.{kind} %x, %w : ({args[0][1]}, {args[1][1]}) -> {_t(shape, 'i32')}")
        channels = b
    ops = draw(st.lists(st.sampled_from(EPILOGUE_OPS), max_size=4))
    if "bias" in ops:
        ops = [op for i, op in enumerate(ops) if op != "bias" or i == ops.index("bias")]
    ops = [op for op in ops if not op.startswith("cast")] + [
        op for op in ops if op.startswith("cast")
    ][:1]
    element = "i32"
    for i, op in enumerate(ops):
        src, dst, t = f"%v{i}", f"%v{i + 1}", _t(shape, "i32")
        if op == "shr":
            lines.append(
                f"{dst} = nn.shr {src} {{amount = {draw(st.integers(0, 20))} : i64}} : ({t}) -> {t}"
            )
        elif op == "bias":
            args.append(("bias", f"tensor<{channels}xi32>", (channels,)))
            lines.append(f"{dst} = nn.add {src}, %bias : ({t}, tensor<{channels}xi32>) -> {t}")
        elif op == "clip":
            low = draw(st.integers(-300, 100))
            high = draw(st.integers(low, 300))
            lines.append(
                f"{dst} = nn.clip {src} {{min = {low} : i64, max = {high} : i64}} : ({t}) -> {t}"
            )
        elif op == "relu":
            lines.append(f"{dst} = nn.relu {src} : ({t}) -> {t}")
        else:
            mode = op.removeprefix("cast_")
            lines.append(f'{dst} = nn.cast {src} {{mode = "{mode}"}} : ({t}) -> {_t(shape, "i8")}')
            element = "i8"
    result = f"%v{len(ops)}"
    rtype = _t(shape, element)
    signature = ", ".join(f"%{name}: {t}" for name, t, _ in args)
    body = "".join(f"  {line}\n" for line in lines)
    text = (
        f"func.func @fuzz({signature}) -> {rtype} {{\n{body}  func.return {result} : {rtype}\n}}\n"
    )
    inputs = {}
    for i, (name, t, dims) in enumerate(args):
        if "i32" in t:
            inputs[name] = (
                np.random.default_rng(seed + i).integers(-5000, 5000, dims).astype(np.int32)
            )
        else:
            inputs[name] = int8_arrays(dims, seed + i)
    return Program(text, inputs, config)


def _t(shape: tuple[int, ...], element: str) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{element}>"


def reproducer(program: Program, directory: str | Path | None = None) -> str:
    """Write the program, its inputs and configuration to a folder; return the command that
    reruns it."""
    folder = Path(directory or tempfile.mkdtemp(prefix="vtac-repro-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "program.mlir").write_text(program.text)
    program.config.save(folder / "vta_config.json")
    flags = [f"--config {folder / 'vta_config.json'}"]
    for name, array in program.inputs.items():
        np.save(folder / f"{name}.npy", array)
        flags.append(f"--input {name}={folder / (name + '.npy')}")
    for key in ("embedding", "vthreads"):
        if program.options.get(key) is not None:
            flags.append(f"--{key} {program.options[key]}")
    if program.options.get("tiles"):
        tiles = ",".join(f"{k}={v}" for k, v in program.options["tiles"].items())  # type: ignore[union-attr]
        flags.append(f"--tiles {tiles}")
    return f"vtac run {folder / 'program.mlir'} " + " ".join(flags)


def check_program(program: Program) -> None:
    """Compile and run ``program`` strictly; raise AssertionError with a reproducer if the
    accelerator's result differs from the reference."""
    import vtac
    from vtac.compiler import run_module

    report = run_module(
        vtac.parse_ir(program.text),
        program.inputs,
        program.config,
        **program.options,  # type: ignore[arg-type]
    )
    if not report.match:
        raise AssertionError(
            "the compiled program computes a different result; reproduce with:\n  "
            + reproducer(program)
        )
