"""Start-up time of the ``vtac`` commands against ``python -c pass``, measured in one run.

Each command runs ``--repeat`` times, interleaved with the baseline so that a busy machine slows
both alike; the table gives the median wall time, the difference from the baseline's median,
their ratio, and the difference in CPU time (user + system of the process: what the command
itself costs, which other processes on a shared machine do not inflate as they do wall time).
The commands that compile nothing (``configs``, ``--help``, ``--version``, ``disasm``) must cost
at most :data:`BUDGET` seconds of CPU more than the baseline; ``vtac-opt --help``, which loads
xDSL, is shown for comparison. ``--json FILE`` also writes the rows.

    python benchmarks/startup.py [--repeat N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEMM16 = ROOT / "examples" / "gemm16" / "gemm16.s"
#: Seconds over ``python -c pass`` a command that compiles nothing may take to start.
BUDGET = 0.3


def _script(name: str) -> list[str]:
    """The console script ``name`` of the running Python's environment."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (pip install -e .)")
    return [found]


def commands(folder: Path) -> list[tuple[str, list[str], bool]]:
    """(label, argv, held to the budget) of every command measured; ``folder`` receives the
    example's instructions for ``disasm``."""
    vtac, opt = _script("vtac"), _script("vtac-opt")
    insns = folder / "insn.bin"
    subprocess.run([*vtac, "asm", str(GEMM16), "-o", str(insns)], check=True)
    return [
        ("vtac configs", [*vtac, "configs"], True),
        ("vtac --help", [*vtac, "--help"], True),
        ("vtac --version", [*vtac, "--version"], True),
        ("vtac disasm insn.bin", [*vtac, "disasm", str(insns)], True),
        ("vtac-opt --help", [*opt, "--help"], False),
    ]


def _seconds(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def measure(measured: list[tuple[str, list[str], bool]], repeat: int) -> list[dict[str, object]]:
    """One row per command of ``measured`` (see :func:`commands`): median seconds, the
    baseline's, difference, ratio, within budget."""
    baseline_argv = [sys.executable, "-c", "pass"]
    times: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in measured}
    base: list[tuple[float, float]] = []
    for _ in range(repeat):
        for label, argv, _ in measured:
            base.append(_seconds(baseline_argv))
            times[label].append(_seconds(argv))
    baseline = statistics.median(wall for wall, _ in base)
    baseline_cpu = statistics.median(cpu for _, cpu in base)
    rows = []
    for label, _, budgeted in measured:
        median = statistics.median(wall for wall, _ in times[label])
        cpu = statistics.median(cpu for _, cpu in times[label])
        rows.append(
            {
                "command": label,
                "seconds": round(median, 4),
                "baseline_seconds": round(baseline, 4),
                "over_baseline": round(median - baseline, 4),
                "ratio": round(median / baseline, 2),
                "cpu_seconds": round(cpu, 4),
                "cpu_over_baseline": round(cpu - baseline_cpu, 4),
                "budget": BUDGET if budgeted else None,
                "within_budget": (cpu - baseline_cpu <= BUDGET) if budgeted else None,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(commands(Path(folder)), max(args.repeat, 1))
    baseline = rows[0]["baseline_seconds"]
    print(f"baseline: python -c pass, {baseline:.3f} s (median of {args.repeat})")
    print(f"{'command':<22} {'seconds':>8} {'over':>7} {'ratio':>6} {'cpu_over':>8}  budget")
    for row in rows:
        verdict = "-"
        if row["budget"] is not None:
            verdict = f"{'ok' if row['within_budget'] else 'OVER'} (+{BUDGET} s)"
        print(
            f"{row['command']:<22} {row['seconds']:>8.3f} {row['over_baseline']:>+7.3f} "
            f"{row['ratio']:>6.1f} {row['cpu_over_baseline']:>+8.3f}  {verdict}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0 if all(row["within_budget"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
