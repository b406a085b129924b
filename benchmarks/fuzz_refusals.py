"""Tally what the compiler does with N fuzzed programs: matches, wrong results, refusals by
reason, other errors.

    python benchmarks/fuzz_refusals.py [-n 200] [--seed 0] [--chains] [--shipped] [--json F]

The programs are drawn by :func:`vtac.testing.programs` (hypothesis, with a fixed seed, so two
runs on two versions of the compiler see the same programs while the strategies are unchanged),
``--chains`` only chains of two to four stages, ``--shipped`` on VTA's default configuration
and batch2 only. Each case is compiled, simulated in strict mode and compared with the
reference under the fuzzer's time limit. A chain's outcome other than a match is tallied with
the embedding it was compiled with (``[auto]``, ``[fixed]``).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import vtac
from vtac.compiler import run_module
from vtac.runtime.config import VTAConfig
from vtac.testing import CASE_SECONDS, Program, programs, time_limit


def reason(err: BaseException) -> str:
    """The refusal's message with numbers, names and shapes elided, so that alike ones count
    together."""
    text = str(err).splitlines()[0]
    text = re.sub(r"'[^']*'|\"[^\"]*\"|@\w+|%\w+", "_", text)
    text = re.sub(r"tensor<[^>]*>|memref<[^>]*>|\[[^\]]*\]|\([^)]*\)", "_", text)
    text = re.sub(r"\d+", "N", text)
    return f"{type(err).__name__}: {text[:110]}"


def outcome(program: Program) -> str:
    """match, mismatch, or the refusal or error and its reason."""
    try:
        with time_limit(CASE_SECONDS, "compiling and simulating"):
            report = run_module(
                vtac.parse_ir(program.text),
                program.inputs,
                program.config,
                **program.compile_options(),  # type: ignore[arg-type]
            )
    except Exception as err:  # noqa: BLE001 - every outcome is tallied
        return reason(err)
    return "match" if report.match else "MISMATCH"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="programs to draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chains", action="store_true", help="chains of 2 to 4 stages only")
    parser.add_argument("--shipped", action="store_true", help="default and batch2 configs")
    parser.add_argument("--json", help="write the tally here")
    args = parser.parse_args(argv)
    tally: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    config = st.sampled_from([VTAConfig(), VTAConfig.named("batch2")]) if args.shipped else None
    start = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=args.n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def case(data: st.DataObject) -> None:
        chosen = data.draw(config) if config is not None else None
        program = data.draw(programs(config=chosen, min_stages=2 if args.chains else 1))
        result = outcome(program)
        if result != "match" and program.stages > 1:
            result = f"[{program.embedding}] {result}"
        tally[result] += 1
        kinds["chains" if program.stages > 1 else "one stage"] += 1
        if result == "MISMATCH":
            print(f"MISMATCH ({program.embedding}):\n{program.text}", file=sys.stderr)

    case()
    seconds = time.perf_counter() - start
    total = sum(tally.values())
    print(f"{total} programs ({dict(kinds)}) in {seconds:.0f} s")
    for what, count in tally.most_common():
        print(f"{count:6d}  {what}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"programs": total, "seconds": seconds, "tally": dict(tally)}, out, indent=1)
    return 1 if tally["MISMATCH"] else 0


if __name__ == "__main__":
    sys.exit(main())
