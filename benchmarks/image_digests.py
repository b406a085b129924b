"""Digests of the program images vtac compiles for the shared suites, to show that a refactoring
changed no program byte for byte.

    python benchmarks/image_digests.py --json before.json          # on the old code
    python benchmarks/image_digests.py --check before.json         # on the new code: exit 1 on
                                                                   # any image that differs

Each image (program.json, insn.bin and dram.bin as ``ProgramImage.save`` writes them) is hashed
with SHA-256. The default suites are ResNet-18's eleven layers at full size, every DeepBench
convolution and inference GEMM with the batch (N) capped at 4 (as the test suite runs them;
compiling every full-size GEMM takes half an hour) and the bundled examples, on VTA's default
configuration; ``--config`` adds others. Workloads compile in parallel processes (``--jobs``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ("resnet18", "deepbench-conv", "deepbench-gemm", "examples")


def _texts(suite: str) -> list[tuple[str, str]]:
    """(name, IR text) of every workload of ``suite``."""
    if suite == "examples":
        return [(f"examples/{p.name}", p.read_text()) for p in sorted(ROOT.glob("examples/*.mlir"))]
    from vtac.bench import workloads
    from vtac.workloads import matmul

    found = []
    for row, name, text in workloads(suite):
        if suite == "deepbench-gemm" and int(row["N"]) > 4:
            text = matmul(int(row["M"]), 4, int(row["K"]), name=name.replace("/", "_"))
        found.append((f"{suite}/{name}", text))
    return found


def digest(job: tuple[str, str, str]) -> tuple[str, str, float]:
    """(key, SHA-256 of the image or the refusal's message, compile seconds) of one workload."""
    name, text, config_name = job
    import vtac
    from vtac.compiler import compile_module
    from vtac.errors import VtacError
    from vtac.runtime.config import VTAConfig

    start = time.perf_counter()
    try:
        compiled = compile_module(vtac.parse_ir(text), VTAConfig.named(config_name))
    except VtacError as err:
        return f"{config_name}:{name}", f"refused: {err}", time.perf_counter() - start
    seconds = time.perf_counter() - start
    sha = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        compiled.image.save(tmp)
        for file in ("program.json", "insn.bin", "dram.bin"):
            sha.update((Path(tmp) / file).read_bytes())
    return f"{config_name}:{name}", sha.hexdigest(), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--config", action="append", help="configurations (default: default)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile processes")
    parser.add_argument("--json", help="write {workload: digest} to this file")
    parser.add_argument("--check", help="compare with a file --json wrote; exit 1 on a change")
    args = parser.parse_args(argv)
    jobs = [
        (name, text, config)
        for config in args.config or ["default"]
        for suite in args.suites.split(",")
        for name, text in _texts(suite)
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(digest, jobs))
    digests = {key: sha for key, sha, _ in results}
    print(f"{'workload':48s} {'compile s':>9s}  digest")
    for key, sha, seconds in results:
        print(f"{key:48s} {seconds:9.1f}  {sha[:16] if len(sha) == 64 else sha}")
    if args.json:
        Path(args.json).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    if not args.check:
        return 0
    before = json.loads(Path(args.check).read_text())
    changed = sorted(k for k in digests if k in before and before[k] != digests[k])
    missing = sorted(set(before) - set(digests))
    print(f"\n{len(digests)} images: {len(changed)} changed, {len(missing)} not compiled now")
    for key in changed:
        print(f"  changed: {key}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
