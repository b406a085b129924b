"""The ``vtac`` command: compile, run, assemble, disassemble and simulate VTA programs.

Every subcommand lives in a ``cmd_*`` function registered in :data:`COMMANDS`; errors a user can
cause print ``vtac: error: ...`` and exit with status 1, never a traceback; Ctrl-C stops any
command with status 130. Modules are imported where a command needs them, so that commands that
do not compile (``configs``, ``disasm``, ``asm``, ``sim``, ``--help``, ``--version``) start
without loading xDSL and OR-Tools (``python benchmarks/startup.py`` measures it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vtac import __version__
from vtac.errors import InvalidInputError, VtacError

if TYPE_CHECKING:
    import numpy as np
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.dialects.func import FuncOp

    from vtac.compiler import Compiled
    from vtac.progress import Progress
    from vtac.runtime.config import VTAConfig
    from vtac.runtime.image import Buffer, ProgramImage


class CliError(InvalidInputError):
    """A user error: printed as ``vtac: error: <message>``, exit status 1."""

    what = "command line"


def _config(args: argparse.Namespace) -> VTAConfig:
    from vtac.runtime.config import resolve_config

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


def _load_image(path: str | Path) -> ProgramImage:
    from vtac.runtime.image import ProgramImage

    return ProgramImage.load(path)


def _image_config(args: argparse.Namespace, image: ProgramImage) -> None:
    """An image carries its configuration: a ``--config`` must be valid and the same one."""
    if args.config is None:
        return
    given = _config(args)
    if given != image.config:
        raise CliError(
            f"{args.file} was built for {image.config.name}, but --config gives {given.name} "
            "(an image carries its configuration: leave --config out)"
        )


def _instruction_stream(raw: bytes, config: VTAConfig) -> int:
    """The number of instructions ``raw`` holds if it decodes as a program ending with FINISH
    (0 otherwise)."""
    from vtac.runtime.isa import EncodingError, Finish, decode_program

    try:
        insns = decode_program(raw, config)
    except EncodingError:
        return 0
    return len(insns) if insns and isinstance(insns[-1], Finish) else 0


def cmd_disasm(args: argparse.Namespace) -> int:
    """Print instructions (or micro-ops) of an insn.bin file or a program image."""
    import numpy as np

    from vtac.runtime.assembly import disassemble, disassemble_uops
    from vtac.runtime.isa import decode_program

    path = Path(args.file)
    if path.is_dir():
        image = _load_image(path)
        _image_config(args, image)
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
        count = _instruction_stream(raw, config)
        if count:
            raise CliError(
                f"{args.file} holds VTA instructions ({count} of them, ending with FINISH), not "
                "micro-ops: leave out --uops"
            )
        sys.stdout.write(disassemble_uops(np.frombuffer(raw, dtype="<u4"), config))
        return 0
    sys.stdout.write(disassemble(decode_program(raw, config)))
    return 0


def _write_bytes(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as err:
        raise CliError(f"cannot write {path}: {err.strerror}") from None


def cmd_asm(args: argparse.Namespace) -> int:
    """Assemble text into insn.bin bytes (micro-op words with --uops, a whole program image from
    the text's .buffer directives with --image)."""
    from vtac.runtime.assembly import assemble, assemble_image, assemble_uops
    from vtac.runtime.isa import encode_program

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
    _write_bytes(args.output, data)
    return 0


def named_arrays(specs: list[str], flag: str) -> dict[str, np.ndarray]:
    """The arrays of ``flag``'s ``NAME=FILE.npy`` values, by name."""
    import numpy as np

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


def _writable(path: str, flag: str) -> None:
    """Refuse, before any work, a file ``flag`` would write into a missing directory."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise CliError(f"{flag} {path}: directory {folder} does not exist")


def cmd_sim(args: argparse.Namespace) -> int:
    """Run a program image on the functional simulator, and say what it did (a network
    image: every step)."""
    if (Path(args.image) / "network.json").exists():
        from vtac.frontends.onnx.commands import sim_network

        return sim_network(args)
    import numpy as np

    from vtac.runtime.simulator import simulate

    for path, flag in ((args.trace, "--trace"), (args.dram_out, "--dram-out")):
        if path:
            _writable(path, flag)
    image = _load_image(args.image)
    dram = image.dram.copy()
    for name, array in named_arrays(args.input, "--input").items():
        image.set_input(name, array, dram)
    checks = named_arrays(args.check, "--check")
    start = time.perf_counter()
    stats = simulate(image.config, image.insns, dram, base=image.base, strict=args.strict)
    elapsed = time.perf_counter() - start
    outputs = [buf for buf in image.buffers if buf.role == "output"]
    if args.output_dir:
        out = Path(args.output_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
            for buf in outputs:
                np.save(out / f"{buf.name}.npy", image.read_output(buf.name, dram))
        except OSError as err:
            raise CliError(f"cannot write into {out}: {err.strerror}") from None
    if args.dram_out:
        _write_bytes(args.dram_out, dram.tobytes())
    if args.stats:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_opcode.items()))
        print(f"instructions: {stats.executed} ({kinds})")
        for name, value in stats.counters.items():
            print(f"{name}: {value}")
        print(f"simulation time: {elapsed:.3f} s")
    if args.cycles or args.trace:
        _print_timing(args, image)
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
    if not (args.stats or args.cycles or args.check):
        _print_summary(args, stats.executed, elapsed, outputs)
    return status


def _print_summary(
    args: argparse.Namespace, executed: int, seconds: float, outputs: list[Buffer]
) -> None:
    """What a plain ``vtac sim`` did: the instructions run, where the outputs are, what else
    it can show."""
    print(f"ran {executed} instructions in {seconds:.3f} s (functional simulation)")
    described = ", ".join(f"{b.name} {'x'.join(map(str, b.shape))} {b.dtype}" for b in outputs)
    if args.output_dir:
        for buf in outputs:
            print(f"wrote {Path(args.output_dir) / (buf.name + '.npy')}")
    elif outputs:
        print(f"outputs: {described} (not saved: --output-dir DIR writes each as NAME.npy)")
    if args.dram_out:
        print(f"wrote the final DRAM arena to {args.dram_out}")
    print("more: --stats (VTA's counters), --cycles (timed model), --check NAME=X.npy")


def _print_timing(args: argparse.Namespace, image: ProgramImage) -> None:
    """The timed model's report (``--cycles``) and timeline (``--trace``)."""
    import math

    from vtac.runtime.timing import time_program, write_trace
    from vtac.runtime.timing_params import BOARDS

    board = BOARDS[args.board]
    report = time_program(image.config, image.insns, board)
    if args.cycles:
        print(f"cycles: {report.cycles} ({report.seconds() * 1e3:.3f} ms on {args.board})")
        for module, t in report.modules.items():
            print(f"  {module}: busy {t.busy}, stalled {t.stall}, {t.instructions} instructions")
        print(f"gemm micro-ops: {report.gemm_uops}")
        for kind, nbytes in sorted(report.dram_bytes.items()):
            print(f"  dram {kind}: {nbytes} bytes")
        if image.workload is not None:
            work = image.workload
            peak = image.config.macs_per_gemm_uop
            roof = max(
                -(-work.macs // peak), math.ceil(work.min_dram_bytes / board.stream_bytes_per_cycle)
            )
            print(
                f"GEMM utilisation (useful MACs per cycle over the peak, time-based): "
                f"{report.utilization(work.macs, image.config):.3f} ({work.macs} useful MACs)"
            )
            print(
                f"roofline: {roof} cycles (efficiency {roof / max(report.cycles, 1):.3f}; "
                f"{work.min_dram_bytes} bytes at least)"
            )
    if args.trace:
        try:
            write_trace(report, image.insns, args.trace)
        except OSError as err:
            raise CliError(f"cannot write {args.trace}: {err.strerror}") from None


def cmd_configs(args: argparse.Namespace) -> int:
    """List the hardware configurations shipped with vtac."""
    from vtac.runtime.config import VTAConfig, shipped_configs

    print(f"{'name':<14} {'bitstream':<28} {'inp':>6} {'wgt':>6} {'acc':>6} {'uop':>6}")
    for name in shipped_configs():
        c = VTAConfig.named(name)
        depths = f"{c.inp_depth:>6} {c.wgt_depth:>6} {c.acc_depth:>6} {c.uop_depth:>6}"
        print(f"{name:<14} {c.name:<28} {depths}")
    return 0


def tile_sizes(text: str) -> dict[str, int]:
    """``--tiles LOOP=N,...``: each loop once, each size a positive integer."""
    tiles: dict[str, int] = {}
    for item in (i.strip() for i in text.split(",")):
        name, sep, size = (part.strip() for part in item.partition("="))
        if not sep or not name or not size.lstrip("+-").isdigit():
            raise CliError(f"--tiles {text!r}: expected LOOP=N,... , got {item!r}")
        if int(size) <= 0:
            raise CliError(f"--tiles {item}: tile sizes must be positive")
        if name in tiles:
            raise CliError(f"--tiles {text!r}: loop {name} is given twice")
        tiles[name] = int(size)
    return tiles


def loop_order(text: str) -> tuple[str, ...]:
    """``--order LOOP,...``: at least one loop, each once."""
    names = tuple(n.strip() for n in text.split(","))
    if not any(names):
        raise CliError("--order needs the loops, outermost first (LOOP,LOOP,...)")
    if not all(names):
        raise CliError(f"--order {text!r}: an empty loop name")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CliError(f"--order {text!r}: loop {', '.join(repeated)} given more than once")
    return names


def _compile_options(args: argparse.Namespace) -> dict[str, object]:
    from vtac.passes.schedule import TileOptions

    tiling = TileOptions(
        tiles=tile_sizes(args.tiles) if args.tiles is not None else {},
        vthreads=args.vthreads or 0,
        order=loop_order(args.order) if args.order is not None else (),
        acc_threads=args.acc_threads or 0,
        epilogue=args.epilogue,
        refine_layouts=not args.keep_layouts,
        head=args.head or "",
        tail=args.tail or "",
    )
    return {"embedding": args.embedding, "tiling": tiling}


def _progress(args: argparse.Namespace) -> Progress | None:
    """A progress display for a long compile or run: with --progress, or on a terminal."""
    from vtac.progress import Progress, wanted

    return Progress() if wanted(args.progress) else None


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
    from xdsl.dialects.func import FuncOp

    from vtac.api import read_ir
    from vtac.backends.reference import find_function

    module = read_ir(args.file)
    functions = [op for op in module.ops if isinstance(op, FuncOp)]
    if not functions:
        raise CliError(f"{args.file} holds no function (func.func @NAME(...) {{ ... }})")
    if args.function is None and len(functions) > 1:
        names = ", ".join(f"@{f.sym_name.data}" for f in functions)
        raise CliError(
            f"{args.file} has {len(functions)} functions ({names}): choose one with --function NAME"
        )
    return module, find_function(module, args.function)


def cmd_compile(args: argparse.Namespace) -> int:
    """Compile an nn function to a program image directory (an ONNX model to a network
    image)."""
    if args.file.endswith(".onnx"):
        from vtac.frontends.onnx.commands import compile_onnx

        return compile_onnx(args)
    from vtac.compiler import compile_module
    from vtac.runtime.config import resolve_config

    options = _compile_options(args)
    config = resolve_config(args.config) if args.config else None
    module, _ = _read_function(args)
    progress = _progress(args)
    options = _tuned_options(args, module, config)
    try:
        compiled = compile_module(
            module, config, name=args.function, progress=progress, dump_ir=args.dump_ir, **options
        )  # type: ignore[arg-type]
    finally:
        if progress:
            progress.close()
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
    if args.file.endswith(".onnx"):
        from vtac.frontends.onnx.commands import run_onnx

        return run_onnx(args)
    from vtac.backends.reference import argument_names
    from vtac.compiler import run_module
    from vtac.runtime.config import resolve_config

    _compile_options(args)  # the forced choices checked before any work
    config = resolve_config(args.config) if args.config else None
    module, function = _read_function(args)
    inputs = named_arrays(args.input, "--input")
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
    progress = _progress(args)
    try:
        report = run_module(
            module,
            inputs or None,
            config,
            seed=args.seed,
            name=args.function,
            progress=progress,
            dump_ir=args.dump_ir,
            **_tuned_options(args, module, config),  # type: ignore[arg-type]
        )
    finally:
        if progress:
            progress.close()
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
    and the lane utilisation over all stages (with ``fixed_note``, the fixed embedding's)."""
    if len(compiled.stages) == 1:
        print(f"embedding: {compiled.embedding}{fixed_note}")
        print(f"schedule: {compiled.schedule}")
        return
    for i, stage in enumerate(compiled.stages):
        print(f"stage {i} embedding: {stage.embedding}")
        print(f"stage {i} schedule: {stage.schedule}")
    print(
        f"lane utilisation: {compiled.utilization:.4f} over {len(compiled.stages)} stages"
        f"{fixed_note}"
    )


def _fixed_note(
    module: ModuleOp, config: VTAConfig | None, name: str | None, compiled: Compiled
) -> str:
    """`` (fixed embedding: lane_utilization=U)`` when TVM's fixed embedding of the same op uses
    the lanes differently from the embedding chosen (nothing when it cannot be formed)."""
    from vtac.bench import fixed_utilization
    from vtac.passes.isel import IselError
    from vtac.planning.contraction import CompileError
    from vtac.planning.embedding import EmbeddingError

    try:
        fixed = fixed_utilization(module, config, name)
    except (CompileError, EmbeddingError, IselError):
        return ""
    if fixed == compiled.utilization:
        return ""
    return f" (fixed embedding: lane_utilization={fixed:.4f})"


def cmd_estimate(args: argparse.Namespace) -> int:
    """The fast model's estimate of a function's cycles (see vtac.estimate)."""
    from vtac.estimate import run
    from vtac.runtime.config import resolve_config

    config = resolve_config(args.config) if args.config else None
    module, _ = _read_function(args)
    return run(module, config, args, _compile_options(args))


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a workload suite (see vtac.bench)."""
    from vtac.bench import run

    return run(args)


def cmd_import(args: argparse.Namespace) -> int:
    """Import a quantized ONNX model as an nn function (see vtac.frontends.onnx)."""
    from vtac.frontends.onnx.commands import cmd_import

    return cmd_import(args)


def cmd_quantize(args: argparse.Namespace) -> int:
    """Quantize a float ONNX model with power-of-two scales."""
    from vtac.frontends.onnx.commands import cmd_quantize

    return cmd_quantize(args)


def cmd_explore(args: argparse.Namespace) -> int:
    """Search VTA configurations under an FPGA budget (see vtac.explore)."""
    from vtac.explore.cli import run

    return run(args)


def cmd_tune(args: argparse.Namespace) -> int:
    """Tune a workload's schedule (see vtac.tune)."""
    from vtac.tune.cli import run

    return run(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "import": cmd_import,
    "quantize": cmd_quantize,
    "bench": cmd_bench,
    "explore": cmd_explore,
    "tune": cmd_tune,
    "compile": cmd_compile,
    "estimate": cmd_estimate,
    "run": cmd_run,
    "asm": cmd_asm,
    "disasm": cmd_disasm,
    "sim": cmd_sim,
    "configs": cmd_configs,
}


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: seeds are 0 or more")
    return value


def _progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the phase under way once work runs over a second, on stderr "
        "(default: on a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    from vtac.bench import add_arguments
    from vtac.runtime.timing_params import BOARDS

    parser = argparse.ArgumentParser(prog="vtac", description="A compiler for the VTA accelerator.")
    parser.add_argument("--version", action="version", version=f"vtac {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = (
        "hardware configuration: a vta_config.json path or a shipped name (default: VTA's default)"
    )

    p = sub.add_parser("disasm", help="print the instructions of an insn.bin file or program image")
    p.add_argument("file", help="insn.bin (or micro-op file with --uops) or an image directory")
    p.add_argument("--config", help=config_help + "; an image carries its own")
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
    p.add_argument(
        "--cycles",
        action="store_true",
        help="print the timed model's cycles, stalls and GEMM utilisation (time-based)",
    )
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

    rounding_help = (
        "ONNX requantization: half-up on VTA (add half, shift; differs from ONNX on ties) or "
        "half-even on the host (ONNX's exactly)"
    )
    p = sub.add_parser("import", help="import a quantized ONNX model as an nn function")
    p.add_argument("file", help="a quantized ONNX model (QDQ or QLinear, power-of-two scales)")
    p.add_argument("-o", "--output", required=True, help="the .mlir file to write")
    p.add_argument(
        "--rounding", choices=("half-up", "half-even"), default="half-up", help=rounding_help
    )

    p = sub.add_parser("quantize", help="quantize a float ONNX model with power-of-two scales")
    p.add_argument("file", help="a float ONNX model")
    p.add_argument(
        "--calibrate", required=True, metavar="X.npy", help="a batch of calibration inputs"
    )
    p.add_argument("-o", "--output", required=True, help="the QDQ model to write")

    p = sub.add_parser("bench", help="compile, run and time a workload suite")
    add_arguments(p)
    _progress_flag(p)

    from vtac.explore.cli import add_arguments as explore_arguments

    explore_arguments(sub.add_parser("explore", help="search VTA configurations for a board"))

    from vtac.tune.cli import add_arguments as tune_arguments

    tune_arguments(sub.add_parser("tune", help="tune a workload's schedule (vtac.tune)"))

    for command, help_text in (
        ("compile", "compile an nn function (.mlir) to a program image"),
        ("run", "compile, simulate and check an nn function against the reference"),
        ("estimate", "the fast model's cycles for an nn function (nothing emitted)"),
    ):
        p = sub.add_parser(command, help=help_text)
        p.add_argument("file", help="an .mlir file with nn functions, or an .onnx model")
        p.add_argument(
            "--rounding", choices=("half-up", "half-even"), default="half-up", help=rounding_help
        )
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
            p.add_argument(
                "--seed", type=_non_negative, default=0, help="seed of the random inputs (>= 0)"
            )
        if command == "estimate":
            p.add_argument("--json", action="store_true", help="print the estimate as JSON")
            p.add_argument(
                "--board", choices=sorted(BOARDS), default="pynq", help="timing parameters"
            )
        p.add_argument(
            "--function", metavar="NAME", help="the function to compile (default: the only one)"
        )
        p.add_argument("--config", help=config_help)
        p.add_argument("--tuning-log", metavar="F", help="apply the best record of a tuning log")
        p.add_argument(
            "--dump-ir",
            metavar="DIR",
            help="write the IR before the first pass and after each pass into DIR "
            "(0-input.mlir, 1-vtac-isel.mlir, ...)",
        )
        _progress_flag(p)
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
    except KeyboardInterrupt:
        print("vtac: interrupted", file=sys.stderr)
        return 130
    except VtacError as err:
        if getattr(err, "location", None) is not None:
            print(err, file=sys.stderr)  # FILE:LINE:COL: error: ... and the source line
        else:
            print(f"vtac: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
