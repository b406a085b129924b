"""``vtac tune WORKLOAD``: the command's arguments and its run (imported when it is used)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLE = "vtac tune resnet18:C9 --measure model --trials 200 --log tune.jsonl"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("workload", help="an .mlir file, or SUITE:NAME of a bench suite (resnet18:C9)")
    p.add_argument(
        "--function", metavar="NAME", help="the function to tune (default: the only one)"
    )
    p.add_argument("--config", help="hardware configuration (default: VTA's default)")
    p.add_argument("--space", action="store_true", help="print the space's size and validity only")
    p.add_argument(
        "--kind", choices=("vtac", "tvm"), default="vtac", help="vtac's knobs or TVM's template"
    )
    p.add_argument("--splits", action="store_true", help="add head/tail splits to vtac's space")
    p.add_argument(
        "--tuner", choices=("vtac", "xgb", "xgb-valid", "random"), default="vtac", help="tuner"
    )
    p.add_argument("--trials", type=int, default=100, help="measurements to make (this run)")
    p.add_argument("--batch", type=int, default=8, help="configurations measured together")
    p.add_argument(
        "--measure",
        choices=("simulator", "model"),
        default="simulator",
        help="timed simulator (compile, run, check) or the compiler's cost model",
    )
    p.add_argument(
        "--prior",
        choices=("model", "analytic"),
        help="vtac's tuner's initial ranking (default: the model when measuring on the "
        "simulator, the analytic estimate when measuring with the model)",
    )
    p.add_argument("--jobs", type=int, default=1, help="local measurement processes")
    p.add_argument("--ray", metavar="auto|ADDRESS", help="measure on a Ray cluster")
    p.add_argument("--log", metavar="F.jsonl", help="append measurements here; resume from it")
    p.add_argument("--plot", metavar="F.png", help="convergence plot (needs matplotlib)")
    p.add_argument("--seed", type=int, default=0, help="the tuner's random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _workload(args: argparse.Namespace):  # noqa: ANN202
    from vtac.bench import BenchError, workloads
    from vtac.runtime.config import resolve_config
    from vtac.tune import TuneError
    from vtac.tune.space import Workload

    config = resolve_config(args.config)
    path = Path(args.workload)
    if path.suffix == ".mlir" or path.exists():
        try:
            text = path.read_text()
        except OSError as err:
            raise TuneError(f"cannot read {path}: {err.strerror}") from None
        return Workload(text, args.function, config, path.stem)
    suite, _, name = args.workload.partition(":")
    try:
        rows = {name: text for _, name, text in workloads(suite)}
    except BenchError:
        raise TuneError(f"{args.workload}: neither a file nor SUITE:NAME") from None
    if name not in rows:
        raise TuneError(f"{suite} has no workload {name!r}: {', '.join(rows)}")
    return Workload(rows[name], None, config, name)


class Progress:
    """A one-line progress bar on stderr with the best cycles so far."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.done, self.quiet = total, 0, quiet

    def step(self, best: float) -> None:
        self.done += 1
        if self.quiet:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        shown = "-" if best == float("inf") else f"{int(best)}"
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} best {shown} cycles")
        sys.stderr.flush()

    def close(self) -> None:
        if not self.quiet:
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from vtac.tune import TuneError, log
    from vtac.tune.measure import BUILTIN, Measurer, Result
    from vtac.tune.space import build_space, canonical
    from vtac.tune.tuners import make_tuner

    workload = _workload(args)
    space = build_space(workload, args.kind, args.splits)
    if args.space:
        print(space.summary())
        return 0
    if not space.valid.any():
        raise TuneError(f"no configuration of the {args.kind} space is valid")
    records = log.read(args.log) if args.log else []
    done = log.measured(records, workload.key, args.measure)
    history = [r["cycles"] or float("inf") for r in done.values()]
    with Measurer(workload, args.measure, args.jobs, args.ray) as measurer:
        prior = None
        use_model = (
            args.prior or ("model" if args.measure == "simulator" else "analytic")
        ) == "model"
        if args.tuner == "vtac" and use_model:
            prior = np.zeros(len(space), dtype=np.int64)
            valid = np.flatnonzero(space.valid)
            with Measurer(workload, "model", args.jobs) as model:
                for i, result in zip(
                    valid, model.run([space.configs[i] for i in valid]), strict=True
                ):
                    prior[i] = result.cycles or np.iinfo(np.int64).max
        tuner = make_tuner(args.tuner, space, args.seed, prior=prior)
        known = [(space.index(r["config"]), r["cycles"]) for r in done.values()]
        known = [(i, c) for i, c in known if i is not None]
        if known:
            tuner.update([i for i, _ in known], [c for _, c in known])
        progress = Progress(args.trials, args.quiet)
        best = min(history, default=float("inf"))

        def measured(configs: list[dict], results: list[Result]) -> None:
            nonlocal best
            for config, result in zip(configs, results, strict=True):
                if args.log:
                    log.append(
                        args.log,
                        log.record(workload.key, workload.label, config, args.measure, result),
                    )
                cycles = result.cycles if result.ok else None
                best = min(best, cycles or float("inf"))
                history.append(cycles or float("inf"))
                progress.step(best)

        count = 0
        if canonical(BUILTIN) not in done and args.trials > 0:  # the fallback, measured first
            measured([BUILTIN], list(measurer.run([BUILTIN])))
            count += 1
        while count < args.trials:
            batch = tuner.next_batch(min(args.batch, args.trials - count))
            if not batch:
                break
            configs = [space.configs[i] for i in batch]
            results = list(measurer.run(configs))
            measured(configs, results)
            for i, result in zip(batch, results, strict=True):
                if result.error and space.valid[i]:  # within the limits, yet not buildable
                    space.refuse(i, result.error)
            tuner.update(batch, [r.cycles if r.ok else None for r in results])
            count += len(batch)
        progress.close()
    records = log.read(args.log) if args.log else []
    top = log.best(records, workload.key) if args.log else None
    print(f"measured {count} configurations ({len(done)} from the log); best {best:.0f} cycles")
    if top is not None:
        print(f"best record: {top['cycles']} cycles, config {canonical(top['config'])}")
    if args.plot:
        plot(history, args.plot, workload.label or workload.key)
    return 0


def plot(history: list[float], path: str, title: str) -> None:
    """Best cycles against measurements, as a PNG (matplotlib, an optional extra)."""
    from vtac.tune import TuneError

    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise TuneError("--plot needs matplotlib: pip install 'vtac[tune]'") from None
    import numpy as np

    best = np.minimum.accumulate(np.array(history, dtype=float))
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.step(np.arange(1, len(best) + 1), np.where(np.isinf(best), np.nan, best), where="post")
    axes.set_xlabel("measurements")
    axes.set_ylabel("best cycles so far")
    axes.set_title(f"vtac tune {title}")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
