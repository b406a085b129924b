"""Hypothesis strategies and checks for fuzzing vtac (and passes built on it).

    from hypothesis import given
    from vtac.testing import programs, check_program

    @given(programs())
    def test_my_pipeline(program):
        check_program(program)          # compile, simulate strictly, compare bit for bit

:func:`programs` draws nn functions: chains of 1 to 4 contractions (dense, matmul or conv2d with
random shapes, strides 1 to 3, paddings up to and past the kernel's extent, kernels 1 to 7,
channel counts including 1, 3 and non-multiples of 16), each followed by 0 to 4 epilogue ops and
every stage but the last requantized to int8 for the next, with inputs that include the int8
extremes, on a hardware configuration from :func:`any_configs` (VTA's default and batch2
most often, else a random valid one of :func:`configs`). :func:`tile_options` draws forced
choices for vtac-tile (tile sizes, loop order, threads, epilogue, layouts, edge splits) over the
loops of an unforced compile.

Every failure of :func:`check_program` or :func:`check_deterministic` (a wrong result, a
simulator error in strict mode, an exception the compiler should not raise, a case that runs
past its time limit) is an ``AssertionError`` whose message holds a reproducer
(:func:`reproducer`): the program as a ready-to-run ``.mlir`` file, its inputs and hardware
configuration in a folder, and the ``vtac run`` command line, with every forced option, that
shows the difference. Hypothesis shrinks before it reports, so the reproducer it prints is the
minimal case (files are written for that final case only).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from hypothesis import strategies as st

from vtac.errors import RefusalError
from vtac.passes.schedule import TileOptions
from vtac.planning.contraction import STAGE_LAYOUT_LIMIT
from vtac.planning.tiling import Split
from vtac.runtime.config import ConfigError, VTAConfig
from vtac.runtime.isa import INSN_CLASSES, Instruction, Opcode

if TYPE_CHECKING:
    from vtac.compiler import Compiled, RunReport

#: Seconds one compile-and-simulate case may take before it fails as a hang
#: (``VTAC_FUZZ_CASE_SECONDS`` overrides it).
CASE_SECONDS = float(os.environ.get("VTAC_FUZZ_CASE_SECONDS", "120"))

#: A file :func:`check_program` appends one line per case to (``VTAC_FUZZ_LOG``): ``match``,
#: ``refused: <message>`` or ``FAILED: <what>``, to count a long run's outcomes.
CASE_LOG = os.environ.get("VTAC_FUZZ_LOG", "")


def is_refusal(err: BaseException) -> bool:
    """Whether ``err`` is the compiler refusing with a clear error: a
    :class:`~vtac.errors.RefusalError`, which names the limit (its ``limit``)."""
    return isinstance(err, RefusalError)


def is_layout_refusal(err: BaseException) -> bool:
    """Whether ``err`` refuses a chain whose stages agree on no layout for the tensor between
    them (vtac does not re-layout tensors between stages)."""
    return isinstance(err, RefusalError) and err.limit == STAGE_LAYOUT_LIMIT


# ----------------------------------------------------------------------------- time limits


class CaseTimeout(AssertionError):
    """A case ran past its time limit (a hang): a test failure, which hypothesis shrinks."""


class _Expired(BaseException):
    """The alarm: a BaseException, so that no ``except Exception`` of the code under test
    swallows it; :func:`time_limit` turns it into :class:`CaseTimeout`."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the case") -> Iterator[None]:
    """Fail with :class:`CaseTimeout` if the body runs longer than ``seconds`` (SIGALRM; no
    limit outside the main thread or where there is no SIGALRM). Limits do not nest."""
    usable = hasattr(signal, "setitimer") and _in_main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise CaseTimeout(f"{what} ran longer than {seconds:g} s (a hang?)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


# ------------------------------------------------------------------------------- programs


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


# ------------------------------------------------------------------------- forced choices


def reduction_loops(compiled: Compiled) -> tuple[str, ...]:
    """The reduction loops of a compiled (one-stage) program, in schedule order: the blocked
    loops that do not index the output buffer."""
    out = next(b for b in compiled.image.buffers if b.name == compiled.output)
    assert out.layout is not None
    parallel = {name for _, name in out.layout.coords}
    return tuple(n for n in compiled.schedule.order if n not in parallel)


@st.composite
def tile_options(draw: st.DrawFn, compiled: Compiled) -> TileOptions:
    """Forced choices for vtac-tile over the loops of ``compiled`` (an unforced compile of the
    program): tile sizes of some loops, the thread counts, a loop order (a random permutation
    with the reduction loops innermost, now and then any permutation), the epilogue, the
    layouts, and head/tail splits over a parallel loop, in up to four parts, over one to three
    steps (or "none"). Some break a limit: the compiler must refuse those with a clear error
    (:func:`is_refusal`)."""
    loops = dict(compiled.loops)
    reductions = reduction_loops(compiled)
    parallel = [n for n in compiled.schedule.order if n not in reductions]
    tiles: dict[str, int] = {}
    if draw(st.booleans()):
        for name, extent in loops.items():
            size = draw(st.none() | st.integers(1, extent) | st.just(extent))
            if size is not None:
                tiles[name] = size
    order: tuple[str, ...] = ()
    how = draw(st.sampled_from(["searched", "valid", "valid", "any"]))
    if how == "valid":
        order = tuple(draw(st.permutations(parallel))) + tuple(draw(st.permutations(reductions)))
    elif how == "any":
        order = tuple(draw(st.permutations(list(compiled.schedule.order))))
    vthreads = draw(st.sampled_from([0, 1, 2]))
    acc_threads = draw(st.sampled_from([0, 0, 1, 2]))
    sizes = {**compiled.schedule.tile, **tiles}

    def split(edge: str) -> str:
        kind = draw(st.sampled_from(["", "", "none", "split"]))
        if kind != "split" or not parallel:
            return kind
        loop = draw(st.sampled_from(parallel))
        tile = sizes.get(loop, loops[loop])
        if edge == "tail":  # the last step holds what is left of the loop
            tile = loops[loop] - (-(-loops[loop] // tile) - 1) * tile
        parts = draw(
            st.lists(st.integers(1, max(1, tile - 1)) | st.just(tile), min_size=1, max_size=3)
        )
        steps = draw(st.sampled_from(["", "", "@2", "@3"]))
        return f"{loop}:{'+'.join(map(str, parts))}{steps}"

    head, tail = split("head"), split("tail")
    # A forced tail split replaces the last tile's epilogue split: forcing both would be
    # contradictory, so "split" is drawn only with a tail that is not forced.
    epilogues = ["auto", "whole"] + ([] if ":" in tail else ["split"])
    return TileOptions(
        tiles=tiles,
        vthreads=vthreads,
        order=order,
        acc_threads=acc_threads,
        epilogue=draw(st.sampled_from(epilogues)),
        refine_layouts=draw(st.booleans()),
        head=head,
        tail=tail,
    )


def unhonoured(options: TileOptions, compiled: Compiled) -> list[str]:
    """The forced choices of ``options`` the schedule ``compiled`` reports does not show."""
    schedule = compiled.schedule
    wrong = [
        f"tile {n}={size}, got {schedule.tile.get(n)}"
        for n, size in options.tiles.items()
        if schedule.tile.get(n) != size
    ]
    if options.vthreads and schedule.vthreads != options.vthreads:
        wrong.append(f"vthreads={options.vthreads}, got {schedule.vthreads}")
    if options.order and schedule.order != options.order:
        wrong.append(f"order {','.join(options.order)}, got {','.join(schedule.order)}")
    if options.acc_threads and schedule.acc_halves != options.acc_threads:
        wrong.append(f"acc_threads={options.acc_threads}, got {schedule.acc_halves}")
    if options.epilogue != "auto" and ":" not in options.tail:
        want = options.epilogue == "split"
        if schedule.split_tail != want:
            wrong.append(f"epilogue={options.epilogue}, got split_tail={schedule.split_tail}")
    if not options.refine_layouts and schedule.refined_layouts:
        wrong.append("keep layouts, got refined layouts")
    for edge in ("head", "tail"):
        text, got = getattr(options, edge), getattr(schedule, edge)
        if text == "none" and got is not None:
            wrong.append(f"{edge}=none, got {got}")
        elif ":" in text and got != Split.parse(text):
            wrong.append(f"{edge}={text}, got {got}")
    return wrong


# ------------------------------------------------------------------------------ reproducers


def reproducer(program: Program, directory: str | Path | None = None) -> str:
    """Write the program, its inputs and configuration to a folder (by default a new one under
    the system's temporary directory); return the ``vtac run`` command, with every forced
    option, that reruns it."""
    if directory is None:
        digest = hashlib.sha1(program.text.encode())
        for array in program.inputs.values():
            digest.update(array.tobytes())
        folder = Path(tempfile.mkdtemp(prefix=f"vtac-repro-{digest.hexdigest()[:8]}-"))
    else:
        folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "program.mlir").write_text(program.text)
    program.config.save(folder / "vta_config.json")
    args = [
        "vtac",
        "run",
        str(folder / "program.mlir"),
        "--config",
        str(folder / "vta_config.json"),
    ]
    for name, array in program.inputs.items():
        np.save(folder / f"{name}.npy", array)
        args += ["--input", f"{name}={folder / (name + '.npy')}"]
    command = shlex.join(args + program.flags())
    (folder / "command.sh").write_text(command + "\n")
    return command


def _final_case() -> bool:
    """Whether this is the case hypothesis reports (its final replay of the minimal failing
    example), or a call outside hypothesis; not one of the cases tried while shrinking."""
    from hypothesis.control import current_build_context
    from hypothesis.errors import InvalidArgument

    try:
        return current_build_context().is_final
    except InvalidArgument:
        return True


def failure(program: Program, what: str, command: Callable[[str], str] | None = None) -> str:
    """The failure message: ``what``, the program, and the command line reproducing it
    (``command`` turns the ``vtac run`` line into another one)."""
    if not _final_case():
        return f"{what}\n(the reproducer is written for the minimal case hypothesis reports)"
    run = reproducer(program)
    line = command(run) if command else run
    return f"{what}\n--- program.mlir ---\n{program.text}--- reproduce with ---\n  {line}\n"


def check_program(
    program: Program,
    *,
    refused: Callable[[BaseException], bool] | None = None,
    timeout: float = CASE_SECONDS,
) -> RunReport | None:
    """Compile and run ``program`` strictly, compare with the reference; return the report.

    A compiler error ``refused`` accepts (e.g. :func:`is_refusal`) returns None. Anything else
    is an ``AssertionError`` with a reproducer: a result that differs from the reference, a
    simulator error, any other exception, or a run past ``timeout`` seconds."""
    import vtac
    from vtac.compiler import run_module

    try:
        with time_limit(timeout, "compiling and simulating"):
            report = run_module(
                vtac.parse_ir(program.text),
                program.inputs,
                program.config,
                **program.compile_options(),  # type: ignore[arg-type]
            )
    except CaseTimeout as err:
        _log(f"FAILED: {err}")
        raise AssertionError(failure(program, str(err))) from None
    except Exception as err:
        if refused is not None and refused(err):
            _log(f"refused: {str(err).splitlines()[0]}")
            return None
        _log(f"FAILED: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        raise AssertionError(failure(program, f"{type(err).__name__}: {err}")) from err
    _log("match" if report.match else "FAILED: mismatch")
    if not report.match:
        got, want = report.outputs["result"], report.outputs["reference"]
        detail = (
            f"shape {got.shape}, expected {want.shape}"
            if got.shape != want.shape
            else f"{int(np.count_nonzero(got != want))} of {want.size} elements differ"
        )
        raise AssertionError(
            failure(program, f"the compiled program computes a different result ({detail})")
        )
    return report


def _log(outcome: str) -> None:
    if CASE_LOG:
        with open(CASE_LOG, "a") as log:
            log.write(outcome + "\n")


def check_deterministic(
    program: Program,
    *,
    refused: Callable[[BaseException], bool] | None = None,
    timeout: float = CASE_SECONDS,
) -> None:
    """Compile ``program`` twice: the same image byte for byte, or the same refusal."""
    import vtac
    from vtac.compiler import compile_module

    outcomes: list[object] = []
    try:
        with time_limit(timeout, "compiling twice"):
            for _ in range(2):
                try:
                    compiled = compile_module(
                        vtac.parse_ir(program.text),
                        program.config,
                        **program.compile_options(),  # type: ignore[arg-type]
                    )
                    image = compiled.image
                    outcomes.append((image.insns, image.dram.tobytes(), str(compiled.schedule)))
                except Exception as err:
                    if refused is None or not refused(err):
                        raise
                    outcomes.append((type(err), str(err)))
    except CaseTimeout as err:
        raise AssertionError(failure(program, str(err))) from None
    except Exception as err:
        raise AssertionError(failure(program, f"{type(err).__name__}: {err}")) from err
    if outcomes[0] != outcomes[1]:

        def twice(run: str) -> str:
            compile_ = shlex.split(run)
            compile_[1] = "compile"
            folder = Path(compile_[2]).parent
            a = shlex.join([*compile_, "-o", str(folder / "a")])
            b = shlex.join([*compile_, "-o", str(folder / "b")])
            return f"{a} && {b} && diff -r {folder / 'a'} {folder / 'b'}"

        raise AssertionError(failure(program, "two compiles of one program differ", twice))


# ---------------------------------------------------------------------- random instructions


def instruction_fields(config: VTAConfig) -> dict[Opcode, tuple[tuple[str, int], ...]]:
    """(field, width) of every instruction kind under ``config``, the opcode left out."""
    return {
        opcode: tuple(
            (name, width) for name, _, width in config.field_layout(opcode.name) if name != "opcode"
        )
        for opcode in INSN_CLASSES
    }


@st.composite
def instructions(draw: st.DrawFn, config: VTAConfig) -> Instruction:
    """Structurally valid instructions: a random kind, every field within its width (small
    values, the field's maximum, or anything in range), so they always encode and decode."""
    opcode = draw(st.sampled_from(sorted(INSN_CLASSES)))
    values = {}
    for name, width in instruction_fields(config)[opcode]:
        if name == "imm":
            lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
        else:
            lo, hi = 0, (1 << width) - 1
        values[name] = draw(
            st.integers(max(lo, -4), min(hi, 8)) | st.sampled_from([lo, hi]) | st.integers(lo, hi)
        )
    return INSN_CLASSES[opcode](**values)


# ------------------------------------------------------------------------- malformed input

#: Tokens a mutation puts in place of one character or token of valid IR.
IR_TOKENS = ("", "x", "%", "{", "}", "<", ">", "(", ")", "1", "-", ":", ",", "=", "i8", "nn.")
#: Element types and op names a mutation swaps in (wrong types, wrong ops).
IR_TYPES = ("i1", "i8", "i16", "i32", "i64", "f32", "index")
IR_OPS = tuple(f"nn.{op}" for op in ("dense", "matmul", "conv2d", "add", "relu", "shr", "clip"))
#: Integer literals, shape dimensions (``20x33``) included, not digits of names (``%v0``, ``i8``).
_IR_INTEGER = r"(?<![%@A-Za-wyz_\d])-?\d+"


@st.composite
def mutated_texts(draw: st.DrawFn, text: str) -> str:
    """``text`` with one mutation: cut short, a character replaced by a token, an integer (a
    shape, stride, padding, shift or bound) replaced by another, an element type or op name
    swapped, or a line deleted, duplicated or moved."""
    import re

    kind = draw(
        st.sampled_from(["truncate", "char", "integer", "type", "op", "line"]),
        label="mutation",
    )
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "char":
        where = draw(st.integers(0, max(len(text) - 1, 0)))
        return text[:where] + draw(st.sampled_from(IR_TOKENS)) + text[where + 1 :]
    patterns = {
        "integer": _IR_INTEGER,
        "type": r"\b(?:i1|i8|i16|i32|i64|f32|index)\b",
        "op": r"\bnn\.\w+",
    }
    if kind in patterns:
        spans = [m.span() for m in re.finditer(patterns[kind], text)]
        if not spans:
            return text
        lo, hi = draw(st.sampled_from(spans))
        if kind == "integer":
            value = draw(
                st.integers(-3, 70)
                | st.sampled_from([-129, 127, 128, 255, 256, 65535, 65536, 2**31, 2**63, 10**30])
            )
            replacement = str(value)
        else:
            replacement = draw(st.sampled_from(IR_TYPES if kind == "type" else IR_OPS))
        return text[:lo] + replacement + text[hi:]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["delete", "duplicate", "move"]))
    line = lines[i]
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(j, line)
    else:
        del lines[i]
        lines.insert(min(j, len(lines)), line)
    return "".join(lines)


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with bits flipped, bytes overwritten, cut short or extended."""
    kind = draw(st.sampled_from(["flip", "bytes", "truncate", "extend"]))
    if kind == "truncate":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=64))
    if not data:
        return data
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(out) - 1))
        if kind == "flip":
            out[where] ^= 1 << draw(st.integers(0, 7))
        else:
            out[where] = draw(st.integers(0, 255))
    return bytes(out)


@st.composite
def mutated_json(draw: st.DrawFn, text: str) -> str:
    """A JSON document with one value replaced (by another type, a negative, a huge number,
    a wrong string, ...) or one key deleted: still JSON, so it reaches the checks behind the
    parser."""
    import json

    doc = json.loads(text)
    paths: list[tuple[object, ...]] = []

    def walk(node: object, path: tuple[object, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(doc, ())
    path = draw(st.sampled_from(paths[1:] or paths))
    parent: object = doc
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    if not path:
        return json.dumps(draw(st.sampled_from([None, [], 0, "x"])))
    old = parent[path[-1]]  # type: ignore[index]
    if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
        del parent[path[-1]]
        return json.dumps(doc)
    nearby = (
        st.integers(old - 3, old + 3)
        if isinstance(old, int) and not isinstance(old, bool)
        else st.nothing()
    )
    value = draw(
        nearby
        | st.sampled_from([None, True, -1, 0, 1, 255, 256, 4096, 2**32, 2**64, 1.5, "", "x"])
        | st.sampled_from([[], {}, [0], ["int8"], "int8", "input", "output", "uop", "int32"])
    )
    parent[path[-1]] = value  # type: ignore[index]
    return json.dumps(doc)


__all__ = [
    "CASE_SECONDS",
    "CaseTimeout",
    "FunctionBuilder",
    "Program",
    "any_configs",
    "check_deterministic",
    "check_program",
    "configs",
    "draw_contraction",
    "draw_epilogue",
    "instructions",
    "int8_arrays",
    "is_refusal",
    "mutated_bytes",
    "mutated_json",
    "mutated_texts",
    "programs",
    "reduction_loops",
    "reproducer",
    "tile_options",
    "time_limit",
    "unhonoured",
]
