"""Hypothesis strategies that draw nn programs (chains of contractions with epilogues, shared
arguments) and hardware configurations, as ready-to-run :class:`Program` texts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from hypothesis import strategies as st

from vtac.passes.schedule import TileOptions
from vtac.runtime.config import ConfigError, VTAConfig

if TYPE_CHECKING:
    pass


@dataclass
class Program:
    """A drawn program: its IR text, its inputs, the hardware configuration, and the choices
    forced on the compiler (vtac-isel's ``embedding``, vtac-tile's ``tiling``)."""

    text: str
    inputs: dict[str, np.ndarray]
    config: VTAConfig
    embedding: str = "auto"
    tiling: TileOptions = field(default_factory=TileOptions)

    @property
    def stages(self) -> int:
        """Contractions in the chain."""
        return len(re.findall(r"= nn\.(?:conv2d|dense|matmul) ", self.text))

    def compile_options(self) -> dict[str, object]:
        """Keyword arguments of :func:`vtac.compiler.compile_module` and ``run_module``."""
        return {"embedding": self.embedding, "tiling": self.tiling}

    def flags(self) -> list[str]:
        """The ``vtac run``/``vtac compile`` flags forcing the same choices."""
        t = self.tiling
        flags = [] if self.embedding == "auto" else ["--embedding", self.embedding]
        if t.tiles:
            flags += ["--tiles", ",".join(f"{k}={v}" for k, v in t.tiles.items())]
        if t.vthreads:
            flags += ["--vthreads", str(t.vthreads)]
        if t.order:
            flags += ["--order", ",".join(t.order)]
        if t.acc_threads:
            flags += ["--acc-threads", str(t.acc_threads)]
        if t.epilogue != "auto":
            flags += ["--epilogue", t.epilogue]
        if not t.refine_layouts:
            flags += ["--keep-layouts"]
        for edge in ("head", "tail"):
            if getattr(t, edge):
                flags += [f"--{edge}", getattr(t, edge)]
        return flags


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


def any_configs() -> st.SearchStrategy[VTAConfig]:
    """VTA's default configuration or batch2 half of the time (shrinking towards the
    default), a random valid one of :func:`configs` otherwise."""
    return st.one_of(st.sampled_from([VTAConfig(), VTAConfig.named("batch2")]), configs())


EPILOGUE_OPS = ("shr", "bias", "clip", "relu", "cast_wrap", "cast_saturate")


@dataclass
class FunctionBuilder:
    """The function :func:`programs` is drawing: its arguments and body lines. A strategy
    drawing more ops (a chain of contractions, say) appends to it with :meth:`argument` and
    :meth:`op`."""

    args: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    count: int = 0
    #: whether operands may reuse arguments (:meth:`shared`) and values read elsewhere
    share: bool = False

    def argument(self, name: str, dims: tuple[int, ...], element: str) -> str:
        """Add an argument; return its SSA name."""
        self.args.append((name, _t(dims, element), dims))
        return f"%{name}"

    def shared(
        self, draw: st.DrawFn, element: str, fits: Callable[[tuple[int, ...]], bool]
    ) -> tuple[str, tuple[int, ...]] | None:
        """Now and then (when ``share`` is drawn) an existing argument of ``element`` whose
        dims ``fits`` accepts, to feed one more operand: its SSA name and dims."""
        found = [(f"%{n}", d) for n, t, d in self.args if t.endswith(f"x{element}>") and fits(d)]
        if not found or not self.share or not draw(st.booleans()):
            return None
        return draw(st.sampled_from(found))

    def op(self, text: str) -> str:
        """Add ``%vN = <text>``; return the new value's SSA name."""
        value = f"%v{self.count}"
        self.count += 1
        self.lines.append(f"{value} = {text}")
        return value

    def function(self, result: str, rtype: str, name: str = "fuzz") -> str:
        signature = ", ".join(f"%{n}: {t}" for n, t, _ in self.args)
        body = "".join(f"  {line}\n" for line in self.lines)
        return (
            f"func.func @{name}({signature}) -> {rtype} {{\n{body}"
            f"  func.return {result} : {rtype}\n}}\n"
        )

    def inputs(self, seed: int) -> dict[str, np.ndarray]:
        """Random inputs: int8 with the extremes, modest int32 biases."""
        inputs = {}
        for i, (name, t, dims) in enumerate(self.args):
            if "i32" in t:
                rng = np.random.default_rng(seed + i)
                inputs[name] = rng.integers(-5000, 5000, dims).astype(np.int32)
            else:
                inputs[name] = int8_arrays(dims, seed + i)
        return inputs


def draw_contraction(
    draw: st.DrawFn,
    fn: FunctionBuilder,
    kind: str,
    source: tuple[str, tuple[int, ...]] | None = None,
    stage: int = 0,
) -> tuple[str, tuple[int, ...], int]:
    """A dense, matmul or conv2d: (its value, its int32 result shape, its channel count). Its
    operands are new arguments (``%x`` and ``%w``, suffixed by ``stage`` after the first), or,
    given a ``source`` (the int8 value of the stage before and its shape), that value and one
    new argument: the data input of a conv2d, either operand of a dense or matmul. With
    ``fn.share``, an operand may instead be an argument an earlier stage reads (the same
    weights in two stages, one stage's data as another's weights) or the op's other operand
    (``nn.dense %x, %x``, ``nn.dense %h, %h``), in whatever role its shape fits."""
    suffix = str(stage) if stage else ""
    if kind == "conv2d":
        if source is None:
            c = draw(st.sampled_from([1, 3, 5, 16, 20]))
            n = draw(st.integers(1, 2))
        else:
            n, c, h, w = source[1]
        reused = fn.shared(draw, "i8", lambda d: len(d) == 4 and d[1] == c and source is not None)
        if reused is not None:
            wt, (k, _, r, s) = reused
        else:
            # with sharing, as many output channels as input ones now and then, so that a
            # later stage can take the same weights
            k = draw(st.sampled_from([1, 4, 16, 24] + ([c] if fn.share else [])))
            r, s = draw(st.integers(1, 7)), draw(st.integers(1, 7))
        sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        if source is None:
            # paddings as wide as the kernel or wider, and past the 15 elements a LOAD can add
            ph, pw = (draw(st.integers(0, extent + 1) | st.just(16)) for extent in (r, s))
            h = draw(st.integers(max(1, r - 2 * ph), r + 8))
            w = draw(st.integers(max(1, s - 2 * pw), s + 8))
            x = fn.argument("x", (n, c, h, w), "i8")
        else:  # the paddings a window of this kernel over the given input needs, or more
            ph, pw = (
                draw(st.integers(max(0, -(-(extent - size) // 2)), extent + 1) | st.just(16))
                for extent, size in ((r, h), (s, w))
            )
            x = source[0]
        if reused is None:
            wt = fn.argument(f"w{suffix}", (k, c, r, s), "i8")
        oh, ow = (h + 2 * ph - r) // sh + 1, (w + 2 * pw - s) // sw + 1
        shape = (n, k, oh, ow)
        value = fn.op(
            f"nn.conv2d {x}, {wt} {{strides = array<i64: {sh}, {sw}>, padding = array<i64: "
            f"{ph}, {pw}, {ph}, {pw}>}} : ({_t((n, c, h, w), 'i8')}, {_t((k, c, r, s), 'i8')})"
            f" -> {_t(shape, 'i32')}"
        )
        return value, shape, k
    # dense: x [a, c] and w [b, c]; matmul: x [a, c] and w [c, b]; the result is [a, b]
    dense = kind == "dense"
    x = w = ""
    if source is None:
        a, b, c = (draw(st.integers(1, 70)) for _ in range(3))
        if fn.share and draw(st.booleans()):  # one value as both operands
            b = a if dense else c
            if not dense:
                a = c
            x = w = fn.argument("x", (a, c), "i8")
        elif fn.share and draw(st.booleans()):  # square weights a later stage can take
            b = c
    else:
        src, (rows, cols) = source
        side = draw(st.sampled_from(["lhs", "lhs", "rhs"]))
        if side == "rhs":
            b, c = (rows, cols) if dense else (cols, rows)
            w = src
            reused = fn.shared(draw, "i8", lambda d: len(d) == 2 and d[1] == c)
            if reused is not None:
                x, (a, _) = reused
            else:
                a = draw(st.integers(1, 70))
        else:
            a, c = rows, cols
            x = src
            reused = fn.shared(draw, "i8", lambda d: len(d) == 2 and d[1 if dense else 0] == c)
            if reused is not None:
                w, dims = reused
                b = dims[0 if dense else 1]
            elif fn.share and (dense or rows == cols) and draw(st.booleans()):
                w, b = src, rows  # the stage before's result as both operands
            else:
                b = draw(st.integers(1, 70))
    lhs_dims, rhs_dims = (a, c), ((b, c) if dense else (c, b))
    x = x or fn.argument(f"x{suffix}", lhs_dims, "i8")
    w = w or fn.argument(f"w{suffix}", rhs_dims, "i8")
    shape = (a, b)
    value = fn.op(
        f"nn.{kind} {x}, {w} : ({_t(lhs_dims, 'i8')}, {_t(rhs_dims, 'i8')}) -> {_t(shape, 'i32')}"
    )
    return value, shape, b


def draw_epilogue(
    draw: st.DrawFn,
    fn: FunctionBuilder,
    value: str,
    shape: tuple[int, ...],
    channels: int,
    *,
    to_int8: bool = False,
    stage: int = 0,
) -> tuple[str, str]:
    """0 to 4 elementwise ops on ``value`` (at most one bias, at most one cast, last; a cast
    always with ``to_int8``, as a stage feeding another needs): the final value and its element
    type. The bias argument is ``%bias``, suffixed by ``stage`` after the first."""
    ops = draw(st.lists(st.sampled_from(EPILOGUE_OPS), max_size=4))
    if "bias" in ops:
        ops = [op for i, op in enumerate(ops) if op != "bias" or i == ops.index("bias")]
    casts = [op for op in ops if op.startswith("cast")][:1]
    if to_int8 and not casts:
        casts = [draw(st.sampled_from(["cast_wrap", "cast_saturate"]))]
    ops = [op for op in ops if not op.startswith("cast")] + casts
    element = "i32"
    t = _t(shape, "i32")
    for op in ops:
        if op == "shr":
            amount = draw(st.integers(0, 20))
            value = fn.op(f"nn.shr {value} {{amount = {amount} : i64}} : ({t}) -> {t}")
        elif op == "bias":
            reused = fn.shared(draw, "i32", lambda d: d == (channels,))
            bias = reused[0] if reused else fn.argument(f"bias{stage or ''}", (channels,), "i32")
            value = fn.op(f"nn.add {value}, {bias} : ({t}, tensor<{channels}xi32>) -> {t}")
        elif op == "clip":
            low = draw(st.integers(-300, 100))
            high = draw(st.integers(low, 300))
            value = fn.op(
                f"nn.clip {value} {{min = {low} : i64, max = {high} : i64}} : ({t}) -> {t}"
            )
        elif op == "relu":
            value = fn.op(f"nn.relu {value} : ({t}) -> {t}")
        else:
            mode = op.removeprefix("cast_")
            value = fn.op(f'nn.cast {value} {{mode = "{mode}"}} : ({t}) -> {_t(shape, "i8")}')
            element = "i8"
    return value, element


@st.composite
def programs(
    draw: st.DrawFn, config: VTAConfig | None = None, max_stages: int = 4, min_stages: int = 1
) -> Program:
    """An nn function, with inputs, on ``config`` or one of :func:`any_configs`: a chain of
    ``min_stages`` to ``max_stages`` contractions (one most often), each with an epilogue
    chain, every stage but the last requantized to int8 and fed to the next (a conv2d's data
    input, either operand of a dense or matmul). Half of the functions share values between
    operands (see :func:`draw_contraction`: the same argument in several roles or stages, one
    op reading a value twice, one bias in two stages); a chain is compiled with the CP-SAT
    embedding or TVM's fixed one, whose stages disagree on layouts more often."""
    config = config or draw(any_configs())
    stages = draw(
        st.sampled_from([1, 1] * (min_stages < 2) + [*range(max(2, min_stages), max_stages + 1)])
    )
    kind = draw(st.sampled_from(["dense", "matmul", "conv2d"]))
    seed = draw(st.integers(0, 2**31 - 1))
    fn = FunctionBuilder(share=draw(st.booleans()))
    source: tuple[str, tuple[int, ...]] | None = None
    for stage in range(stages):
        if stage and kind != "conv2d":
            kind = draw(st.sampled_from(["dense", "matmul"]))
        value, shape, channels = draw_contraction(draw, fn, kind, source, stage)
        last = stage == stages - 1
        result, element = draw_epilogue(
            draw, fn, value, shape, channels, to_int8=not last, stage=stage
        )
        source = (result, shape)
    embedding = draw(st.sampled_from(["auto", "fixed"])) if stages > 1 else "auto"
    return Program(fn.function(result, _t(shape, element)), fn.inputs(seed), config, embedding)


def _t(shape: tuple[int, ...], element: str) -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{element}>"
