"""The ``vtac`` command: compile, run, assemble, disassemble and simulate VTA programs.

Every subcommand lives in a ``cmd_*`` function registered in :data:`COMMANDS`; errors a user can
cause print ``vtac: error: ...`` and exit with status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from vtac.api import IRError
from vtac.backends.reference import ReferenceError, argument_names, find_function
from vtac.bench import BenchError, fixed_utilization
from vtac.compiler import Compiled, CompileError
from vtac.passes.dma import DmaError
from vtac.passes.embedding import EmbeddingError
from vtac.passes.isel import IselError
from vtac.passes.schedule import TileOptions, parse_tiles
from vtac.passes.tiling import TilingError
from vtac.passes.uop_kernels import KernelError
from vtac.runtime.assembly import (
    AssemblyError,
    assemble,
    assemble_image,
    assemble_uops,
    disassemble,
    disassemble_uops,
)
from vtac.runtime.config import ConfigError, VTAConfig, resolve_config, shipped_configs
from vtac.runtime.image import ImageError, ProgramImage
from vtac.runtime.isa import EncodingError, decode_program, encode_program
from vtac.runtime.packing import PackError
from vtac.runtime.simulator import SimError, simulate
from vtac.runtime.timing import TimingError, time_program, write_trace
from vtac.runtime.timing_params import BOARDS
from vtac.tune import TuneError


class CliError(Exception):
    """A user error: printed as ``vtac: error: <message>``, exit status 1."""


def _config(args: argparse.Namespace) -> VTAConfig:
    return resolve_config(args.config)


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not a text file") from None


def cmd_disasm(args: argparse.Namespace) -> int:
    """Print instructions (or micro-ops) of an insn.bin file or a program image."""
    path = Path(args.file)
    if path.is_dir():
        image = ProgramImage.load(path)
        if args.uops:
            for buf in image.buffers:
                if buf.role == "uop":
                    words = image.dram[buf.offset : buf.offset + buf.size].view("<u4")
                    print(f"# buffer {buf.name}")
                    sys.stdout.write(disassemble_uops(words, image.config))
            return 0
        sys.stdout.write(disassemble(image.insns))
        return 0
    config = _config(args)
    raw = _read_bytes(args.file)
    if args.uops:
        if len(raw) % 4:
            raise CliError(f"{args.file}: {len(raw)} bytes is not a whole number of micro-ops")
        sys.stdout.write(disassemble_uops(np.frombuffer(raw, dtype="<u4"), config))
        return 0
    sys.stdout.write(disassemble(decode_program(raw, config)))
    return 0


def cmd_asm(args: argparse.Namespace) -> int:
    """Assemble text into insn.bin bytes (micro-op words with --uops, a whole program image from
    the text's .buffer directives with --image)."""
    config = _config(args)
    text = _read_text(args.file)
    if args.image:
        if args.uops:
            raise CliError("--image builds a program, --uops a micro-op file: give one of them")
        image = assemble_image(text, config, args.file)
        try:
            image.save(args.output)
        except OSError as err:
            raise CliError(f"cannot write {args.output}: {err.strerror}") from None
        return 0
    if args.uops:
        data = assemble_uops(text, config, args.file).astype("<u4").tobytes()
    else:
        data = encode_program(assemble(text, config, args.file), config)
    try:
        Path(args.output).write_bytes(data)
    except OSError as err:
        raise CliError(f"cannot write {args.output}: {err.strerror}") from None
    return 0


def _named_arrays(specs: list[str], flag: str) -> dict[str, np.ndarray]:
    arrays = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            raise CliError(f"{flag} expects NAME=FILE.npy, got {spec!r}")
        try:
            arrays[name] = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise CliError(f"{flag} {spec}: cannot read {file}: {err}") from None
    return arrays


def cmd_sim(args: argparse.Namespace) -> int:
    """Run a program image on the functional simulator."""
    image = ProgramImage.load(args.image)
    dram = image.dram.copy()
    for name, array in _named_arrays(args.input, "--input").items():
        image.set_input(name, array, dram)
    checks = _named_arrays(args.check, "--check")
    start = time.perf_counter()
    stats = simulate(image.config, image.insns, dram, base=image.base, strict=args.strict)
    elapsed = time.perf_counter() - start
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for buf in image.buffers:
            if buf.role == "output":
                np.save(out / f"{buf.name}.npy", image.read_output(buf.name, dram))
    if args.dram_out:
        Path(args.dram_out).write_bytes(dram.tobytes())
    if args.stats:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_opcode.items()))
        print(f"instructions: {stats.executed} ({kinds})")
        for name, value in stats.counters.items():
            print(f"{name}: {value}")
        print(f"simulation time: {elapsed:.3f} s")
    if args.cycles or args.trace:
        report = time_program(image.config, image.insns, BOARDS[args.board])
        if args.cycles:
            print(f"cycles: {report.cycles} ({report.seconds() * 1e3:.3f} ms on {args.board})")
            for module, t in report.modules.items():
                print(
                    f"  {module}: busy {t.busy}, stalled {t.stall}, {t.instructions} instructions"
                )
            print(f"gemm micro-ops: {report.gemm_uops}")
            for kind, nbytes in sorted(report.dram_bytes.items()):
                print(f"  dram {kind}: {nbytes} bytes")
            if image.workload is not None:
                work, board = image.workload, BOARDS[args.board]
                peak = image.config.macs_per_gemm_uop
                roof = max(
                    -(-work.macs // peak),
                    math.ceil(work.min_dram_bytes / board.stream_bytes_per_cycle),
                )
                print(
                    f"gemm utilization: {report.utilization(work.macs, image.config):.3f} "
                    f"({work.macs} useful MACs)"
                )
                print(
                    f"roofline: {roof} cycles (efficiency {roof / max(report.cycles, 1):.3f}; "
                    f"{work.min_dram_bytes} bytes at least)"
                )
        if args.trace:
            write_trace(report, image.insns, args.trace)
    status = 0
    for name, want in checks.items():
        got = image.read_output(name, dram)
        if got.shape == want.shape and np.array_equal(got, want):
            print(f"{name}: match")
        else:
            status = 1
            if got.shape != want.shape:
                print(f"{name}: mismatch (shape {got.shape}, expected {want.shape})")
            else:
                wrong = int(np.count_nonzero(got != want))
                print(f"{name}: mismatch ({wrong} of {want.size} elements differ)")
    return status


def cmd_configs(args: argparse.Namespace) -> int:
    """List the hardware configurations shipped with vtac."""
    print(f"{'name':<14} {'bitstream':<28} {'inp':>6} {'wgt':>6} {'acc':>6} {'uop':>6}")
    for name in shipped_configs():
        c = VTAConfig.named(name)
        depths = f"{c.inp_depth:>6} {c.wgt_depth:>6} {c.acc_depth:>6} {c.uop_depth:>6}"
        print(f"{name:<14} {c.name:<28} {depths}")
    return 0


def _compile_options(args: argparse.Namespace) -> dict[str, object]:
    tiling = TileOptions(
        tiles=parse_tiles(args.tiles or ""),
        vthreads=args.vthreads or 0,
        order=tuple(n.strip() for n in (args.order or "").split(",") if n.strip()),
        acc_threads=args.acc_threads or 0,
        epilogue=args.epilogue,
        refine_layouts=not args.keep_layouts,
        head=args.head or "",
        tail=args.tail or "",
    )
    return {"embedding": args.embedding, "tiling": tiling}


def _tuned_options(
    args: argparse.Namespace, module: ModuleOp, config: VTAConfig | None
) -> dict[str, object]:
    """The options of the best record for the function in ``--tuning-log``, if it has one;
    the command line's otherwise."""
    if args.tuning_log:
        from vtac.tune.log import best_options

        tuned = best_options(args.tuning_log, module, args.function, config)
        if tuned is not None:
            return tuned
    return _compile_options(args)


def _read_function(args: argparse.Namespace) -> tuple[ModuleOp, FuncOp]:
    """The module in ``args.file`` and the function to compile: ``--function``, or the only
    one."""
    from vtac.api import read_ir

    module = read_ir(args.file)
    functions = [op for op in module.ops if isinstance(op, FuncOp)]
    if args.function is None and len(functions) > 1:
        names = ", ".join(f"@{f.sym_name.data}" for f in functions)
        raise CliError(
            f"{args.file} has {len(functions)} functions ({names}): choose one with --function NAME"
        )
    return module, find_function(module, args.function)


def cmd_compile(args: argparse.Namespace) -> int:
    """Compile an nn function to a program image directory."""
    from vtac.compiler import compile_module

    config = resolve_config(args.config) if args.config else None
    module, _ = _read_function(args)
    options = _tuned_options(args, module, config)
    compiled = compile_module(module, config, name=args.function, **options)  # type: ignore[arg-type]
    try:
        compiled.image.save(args.output)
    except OSError as err:
        raise CliError(f"cannot write {args.output}: {err.strerror}") from None
    _print_plan(compiled)
    print(f"instructions: {len(compiled.image.insns)}, compile time: {compiled.seconds:.2f} s")
    print(f"wrote {args.output}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Compile, simulate (strict) and compare with the reference backend."""
    from vtac.compiler import run_module

    config = resolve_config(args.config) if args.config else None
    module, function = _read_function(args)
    inputs = _named_arrays(args.input, "--input")
    names = argument_names(function)
    missing = [name for name in names if name not in inputs]
    unknown = sorted(set(inputs) - set(names))
    if inputs and (missing or unknown):
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise CliError(
            f"@{function.sym_name.data} takes {', '.join(names)}: give every input with --input "
            f"or none (random inputs); {'; '.join(problems)}"
        )
    report = run_module(
        module,
        inputs or None,
        config,
        seed=args.seed,
        name=args.function,
        **_tuned_options(args, module, config),  # type: ignore[arg-type]
    )
    compiled = report.compiled
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.stats.by_opcode.items()))
    print("match" if report.match else "mismatch")
    _print_plan(compiled, _fixed_note(module, config, args.function, compiled))
    print(f"instructions: {report.stats.executed} ({kinds})")
    for name, value in report.stats.counters.items():
        print(f"{name}: {value}")
    roof = compiled.useful_macs / compiled.image.config.macs_per_gemm_uop
    print(
        f"cycles: {report.timing.cycles} (pynq model; useful MACs alone need {roof:.0f}), "
        f"compile time: {compiled.seconds:.2f} s, simulation time: {report.sim_seconds:.2f} s"
    )
    return 0 if report.match else 1


def _print_plan(compiled: Compiled, fixed_note: str = "") -> None:
    """The embedding and schedule chosen: one line each, or, for a chain, one pair per stage
    and the utilisation over all stages (with ``fixed_note``, the fixed embedding's)."""
    if len(compiled.stages) == 1:
        print(f"embedding: {compiled.embedding}{fixed_note}")
        print(f"schedule: {compiled.schedule}")
        return
    for i, stage in enumerate(compiled.stages):
        print(f"stage {i} embedding: {stage.embedding}")
        print(f"stage {i} schedule: {stage.schedule}")
    print(f"utilization: {compiled.utilization:.4f} over {len(compiled.stages)} stages{fixed_note}")


def _fixed_note(
    module: ModuleOp, config: VTAConfig | None, name: str | None, compiled: Compiled
) -> str:
    """`` (fixed embedding: utilization=U)`` when TVM's fixed embedding of the same op uses the
    lanes differently from the embedding chosen (nothing when it cannot be formed)."""
    try:
        fixed = fixed_utilization(module, config, name)
    except (CompileError, EmbeddingError, IselError):
        return ""
    if fixed == compiled.utilization:
        return ""
    return f" (fixed embedding: utilization={fixed:.4f})"


def cmd_estimate(args: argparse.Namespace) -> int:
    """The fast model's estimate of a function's cycles (see vtac.estimate)."""
    from vtac.estimate import run

    config = resolve_config(args.config) if args.config else None
    module, _ = _read_function(args)
    return run(module, config, args, _compile_options(args))


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a workload suite (see vtac.bench)."""
    from vtac.bench import run

    return run(args)


def cmd_tune(args: argparse.Namespace) -> int:
    """Tune a workload's schedule (see vtac.tune)."""
    from vtac.tune.cli import run

    return run(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "bench": cmd_bench,
    "tune": cmd_tune,
    "compile": cmd_compile,
    "estimate": cmd_estimate,
    "run": cmd_run,
    "asm": cmd_asm,
    "disasm": cmd_disasm,
    "sim": cmd_sim,
    "configs": cmd_configs,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vtac", description="A compiler for the VTA accelerator.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = (
        "hardware configuration: a vta_config.json path or a shipped name (default: VTA's default)"
    )

    p = sub.add_parser("disasm", help="print the instructions of an insn.bin file or program image")
    p.add_argument("file", help="insn.bin (or micro-op file with --uops) or an image directory")
    p.add_argument("--config", help=config_help)
    p.add_argument("--uops", action="store_true", help="print micro-ops instead")

    p = sub.add_parser("asm", help="assemble text into VTA's binary encoding")
    p.add_argument("file", help="assembly text (.s)")
    p.add_argument("-o", "--output", required=True, help="output file (directory with --image)")
    p.add_argument("--config", help=config_help)
    p.add_argument("--uops", action="store_true", help="assemble micro-ops instead")
    p.add_argument(
        "--image",
        action="store_true",
        help="write a program image directory, its arena from the text's .buffer directives",
    )

    p = sub.add_parser("sim", help="run a program image on the functional simulator")
    p.add_argument("image", help="program image directory")
    p.add_argument(
        "--input", action="append", default=[], metavar="NAME=FILE.npy", help="fill an input buffer"
    )
    p.add_argument("--output-dir", help="write every output buffer as NAME.npy")
    p.add_argument("--dram-out", help="write the final DRAM arena to this file")
    p.add_argument("--stats", action="store_true", help="print VTA's counters")
    p.add_argument("--strict", action="store_true", help="also enforce the FPGA designs' rules")
    p.add_argument("--cycles", action="store_true", help="print the timed simulation's cycles")
    p.add_argument(
        "--trace", metavar="FILE.json", help="write the timeline (Chrome trace, Perfetto)"
    )
    p.add_argument("--board", choices=sorted(BOARDS), default="pynq", help="timing parameters")
    p.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="NAME=FILE.npy",
        help="compare an output with an expected array: prints match or mismatch",
    )

    sub.add_parser("configs", help="list the shipped hardware configurations")

    from vtac.bench import add_arguments

    add_arguments(sub.add_parser("bench", help="compile, run and time a workload suite"))
    from vtac.tune.cli import add_arguments as tune_arguments

    tune_arguments(sub.add_parser("tune", help="tune a workload's schedule (vtac.tune)"))

    for command, help_text in (
        ("compile", "compile an nn function (.mlir) to a program image"),
        ("run", "compile, simulate and check an nn function against the reference"),
        ("estimate", "the fast model's cycles for an nn function (nothing emitted)"),
    ):
        p = sub.add_parser(command, help=help_text)
        p.add_argument("file", help="an .mlir file with nn functions")
        if command == "compile":
            p.add_argument("-o", "--output", required=True, help="program image directory")
        else:
            p.add_argument(
                "--input",
                action="append",
                default=[],
                metavar="NAME=FILE.npy",
                help="an input array (default: random, with --seed)",
            )
            p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
        if command == "estimate":
            from vtac.estimate import add_arguments as add_estimate_arguments

            add_estimate_arguments(p)
        p.add_argument(
            "--function", metavar="NAME", help="the function to compile (default: the only one)"
        )
        p.add_argument("--config", help=config_help)
        p.add_argument("--tuning-log", metavar="F", help="apply the best record of a tuning log")
        p.add_argument(
            "--embedding",
            choices=("auto", "fixed"),
            default="auto",
            help="auto: the CP-SAT optimum; fixed: TVM's channel packing",
        )
        p.add_argument("--tiles", metavar="LOOP=N,...", help="force tile sizes of blocked loops")
        p.add_argument("--vthreads", type=int, choices=(1, 2), help="force the virtual threads")
        p.add_argument("--order", metavar="LOOP,...", help="force the tile-loop order")
        p.add_argument(
            "--acc-threads",
            type=int,
            choices=(1, 2),
            help="1: one accumulator tile while two threads ping-pong the loads",
        )
        p.add_argument(
            "--epilogue",
            choices=("auto", "split", "whole"),
            default="auto",
            help="the last tile's epilogue in two parts or one",
        )
        p.add_argument(
            "--keep-layouts",
            action="store_true",
            help="keep vtac-layout's DRAM layouts (do not refine them for the tiles)",
        )
        for edge in ("head", "tail"):
            p.add_argument(
                f"--{edge}",
                metavar="LOOP:N[+N...][@STEPS]|none",
                help=f"run the {'first' if edge == 'head' else 'last'} step (or STEPS steps) in "
                "parts of N iterations of LOOP each, then the rest (default: searched)",
            )
    return parser


USER_ERRORS = (
    TuneError,
    BenchError,
    CliError,
    CompileError,
    DmaError,
    EmbeddingError,
    IRError,
    IselError,
    KernelError,
    ReferenceError,
    TilingError,
    AssemblyError,
    ConfigError,
    EncodingError,
    ImageError,
    PackError,
    SimError,
    TimingError,
)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail on the closed pipe
    again (Python's documented recipe for SIGPIPE)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (captured output): nothing is flushed to a pipe at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # a reader gone early shows here, not at interpreter exit
        return status
    except BrokenPipeError:  # vtac run ... | head -1: stop quietly
        _silence_stdout()
        return 1
    except USER_ERRORS as err:
        if isinstance(err, IRError) and err.location is not None:
            print(err, file=sys.stderr)  # FILE:LINE:COL: error: ... and the source line
        else:
            print(f"vtac: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
