"""Bad input through the command-line tools, as a user would give it: 0 tracebacks, 0 hangs.

Runs the ``vtac`` and ``vtac-opt`` console scripts in subprocesses on

- the malformed inputs of issue 19's table and their neighbours (bad flags, files that are
  empty, only comments, binary or missing, configurations missing keys, huge sizes, ...);
- mutated examples: the nn examples (the small ones through ``vtac run``, all through
  ``vtac-opt``), ``examples/gemm16/gemm16.s`` through ``vtac asm --image`` and ``vtac sim``, and
  a compiled image's ``program.json`` and ``insn.bin`` through ``vtac sim`` and ``vtac disasm``,
  each mutated ``--mutations`` times (a line cut, deleted, doubled or moved, a character or an
  integer replaced, an element type or op name swapped, a JSON value replaced, bytes flipped),
  from ``--seed``.

Each case ends ``ok`` (status 0, or a message and status 1 or 2), ``traceback`` (Python's
``Traceback`` or vtac-opt's "internal error" in the output), ``hang`` (over ``--timeout``
seconds with nothing on stderr) or ``long`` (over the timeout while showing its progress: work
that is legitimately long, which Ctrl-C stops). The script exits with status 1 if any case is a
traceback or a hang; ``--json FILE`` writes every case.

    python benchmarks/bad_input.py [--mutations N] [--seed S] [--timeout S] [--json F]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: Examples small enough to compile and simulate in a second or two (``vtac run``).
RUN_EXAMPLES = ("dense.mlir", "matmul.mlir")
#: Examples only parsed and verified (``vtac-opt``): compiling them takes tens of seconds.
PARSE_EXAMPLES = ("conv2d.mlir", "resnet18_c1.mlir", "resnet18_c2.mlir")
IR_TOKENS = ("", "x", "%", "{", "}", "<", ">", "(", ")", "1", "-", ":", ",", "=", '"', "nn.")
INTEGERS = (-1, 0, 1, 3, 17, 255, 65536, 2**31, 10**9, 10**30)
TYPES = ("i1", "i8", "i32", "i64", "f32", "index")
OPS = ("nn.dense", "nn.matmul", "nn.conv2d", "nn.add", "nn.shr", "nn.clip", "nn.cast")


@dataclass
class Case:
    """One command (``vtac ...`` or ``vtac-opt ...``; several run in order, stopping at the
    first that fails) and what it did."""

    label: str
    commands: list[list[str]]
    verdict: str = ""
    status: int | None = None
    seconds: float = 0.0
    output: str = ""


def mutate_text(text: str, rng: random.Random) -> tuple[str, str]:
    """``text`` with one mutation, and its description."""
    kind = rng.choice(["cut", "line", "char", "integer", "type", "op"])
    lines = text.splitlines(keepends=True)
    if kind == "cut":
        at = rng.randrange(len(text) + 1)
        return text[:at], f"cut at {at}"
    if kind == "line":
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        how = rng.choice(["delete", "double", "move"])
        line = lines.pop(i) if how != "double" else lines[i]
        if how != "delete":
            lines.insert(min(j, len(lines)), line)
        return "".join(lines), f"{how} line {i + 1}"
    if kind == "char":
        at = rng.randrange(len(text))
        token = rng.choice(IR_TOKENS)
        return text[:at] + token + text[at + 1 :], f"char {at} -> {token!r}"
    pattern = {
        "integer": r"(?<![%@A-Za-wyz_\d])-?\d+",
        "type": r"\b(?:i1|i8|i32|i64|f32|index)\b",
        "op": r"\bnn\.\w+",
    }[kind]
    spans = [m.span() for m in re.finditer(pattern, text)]
    if not spans:
        return text, "unchanged"
    lo, hi = rng.choice(spans)
    pool = {"integer": INTEGERS, "type": TYPES, "op": OPS}[kind]
    new = str(rng.choice(pool))
    return text[:lo] + new + text[hi:], f"{kind} {text[lo:hi]} -> {new}"


def mutate_json(text: str, rng: random.Random) -> tuple[str, str]:
    """A JSON document with one value replaced or one key deleted."""
    doc = json.loads(text)
    paths: list[tuple[object, ...]] = []

    def walk(node: object, path: tuple[object, ...]) -> None:
        if path:
            paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for key, value in enumerate(node):
                walk(value, (*path, key))

    walk(doc, ())
    path = rng.choice(paths)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and rng.random() < 0.2:
        del parent[path[-1]]
        return json.dumps(doc), f"delete {'/'.join(map(str, path))}"
    value = rng.choice([None, True, -1, 0, 1, 2**32, 10**12, 1.5, "", "x", [], {}, "int8"])
    parent[path[-1]] = value
    return json.dumps(doc), f"{'/'.join(map(str, path))} = {value!r}"


def mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    out = bytearray(data)
    kind = rng.choice(["flip", "cut", "extend"])
    if kind == "cut":
        at = rng.randrange(len(data))
        return data[:at], f"cut at {at}"
    if kind == "extend":
        return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))), "extend"
    for _ in range(rng.randrange(1, 6)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out), "flip bits"


def table_cases(work: Path, image: Path) -> list[Case]:
    """Issue 19's table and neighbouring malformed inputs."""
    dense = str(EXAMPLES / "dense.mlir")
    files = {
        "empty.mlir": "",
        "comment.mlir": "// nothing here\n",
        "brace.mlir": "}\n",
        "stray.mlir": (EXAMPLES / "dense.mlir").read_text() + "}\n",
        "binary.mlir": "\x00\x01\x02",
        "huge.mlir": (EXAMPLES / "dense.mlir").read_text().replace("16x", "1000000000x"),
        "gemm.csv": "name,M,N,K\nsmall,4,16,32\n",
        "badcols.csv": "name,M,K\nx,1,2\n",
        "big.s": ".buffer x weight int8 100000x100000\nFINISH\n",
        "enum.s": "LOAD memory_type=XYZ\nALU alu_opcode=DIV\nFINISH\n",
        "labels.s": "0: LOAD memory_type=UOP\n7: FINISH\n",
        "empty_config.json": "{}",
        "bogus_config.json": '{"TARGET": "bogus"}',
        "notjson_config.json": "not json",
    }
    for name, text in files.items():
        (work / name).write_text(text)
    (work / "binary.bin").write_bytes(bytes(range(256)) * 3)
    overlap = work / "overlap"
    shutil.copytree(image, overlap)
    meta = json.loads((overlap / "program.json").read_text())
    meta["buffers"][1]["offset"] = meta["buffers"][0]["offset"]
    (overlap / "program.json").write_text(json.dumps(meta))
    w = str(work)
    vtac = [
        ["run", dense, "--seed", "-1"],
        ["sim", str(image), "--cycles", "--trace", "/nonexistent_dir/t.json"],
        ["bench", "resnet18", "--only", "C99"],
        ["bench", f"{w}/gemm.csv"],
        ["bench", f"{w}/badcols.csv"],
        ["asm", f"{w}/big.s", "--image", "-o", f"{w}/big"],
        ["run", f"{w}/huge.mlir"],
        ["disasm", "--config", f"{w}/empty_config.json", str(image / "insn.bin")],
        ["disasm", "--config", f"{w}/bogus_config.json", str(image / "insn.bin")],
        ["disasm", "--config", f"{w}/notjson_config.json", str(image)],
        ["run", dense, "--tiles", "block_out=1,block_out=2"],
        ["run", dense, "--order", ""],
        ["run", dense, "--tiles", "block_out=-2"],
        ["sim", str(overlap)],
        ["asm", f"{w}/enum.s", "-o", f"{w}/enum.bin"],
        ["asm", f"{w}/labels.s", "-o", f"{w}/labels.bin"],
        ["disasm", "--uops", str(image / "insn.bin")],
        ["run", f"{w}/empty.mlir"],
        ["run", f"{w}/comment.mlir"],
        ["run", f"{w}/brace.mlir"],
        ["compile", f"{w}/stray.mlir", "-o", f"{w}/stray"],
        ["run", f"{w}/binary.mlir"],
        ["run", "/nonexistent.mlir"],
        ["run", w],
        ["disasm", f"{w}/binary.bin"],
        ["disasm", "--uops", f"{w}/binary.bin"],
        ["sim", w],
        ["asm", dense, "-o", f"{w}/x.bin"],
        ["run", dense, "--config", "nope"],
        ["run", dense, "--input", "x=/nonexistent.npy"],
        ["bench", "nosuchsuite"],
    ]
    opt = [
        [dense, "-p", "vtac-insert-deps"],
        [dense, "-p", "no-such-pass"],
        [dense, "-p", "vtac-isel{embedding=magic}"],
        [dense, "--config", "nope"],
        [f"{w}/empty.mlir"],
        [f"{w}/brace.mlir"],
        [f"{w}/binary.mlir"],
        ["/nonexistent.mlir"],
    ]
    cases = [Case(f"vtac {' '.join(a)}", [["vtac", *a]]) for a in vtac]
    return cases + [Case(f"vtac-opt {' '.join(a)}", [["vtac-opt", *a]]) for a in opt]


def mutated_cases(work: Path, image: Path, count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for name in RUN_EXAMPLES + PARSE_EXAMPLES:
        text = (EXAMPLES / name).read_text()
        for i in range(count):
            mutated, how = mutate_text(text, rng)
            path = work / f"{Path(name).stem}-{i}.mlir"
            path.write_text(mutated)
            cases.append(Case(f"vtac-opt {name} ({how})", [["vtac-opt", str(path)]]))
            if name in RUN_EXAMPLES:
                cases.append(Case(f"vtac run {name} ({how})", [["vtac", "run", str(path)]]))
    gemm16 = work / "gemm16"
    shutil.copytree(EXAMPLES / "gemm16", gemm16)  # the data files the assembly names
    source = (gemm16 / "gemm16.s").read_text()
    for i in range(count):
        mutated, how = mutate_text(source, rng)
        path = gemm16 / f"mutated-{i}.s"
        path.write_text(mutated)
        out = work / f"gemm16-{i}"
        steps = [["vtac", "asm", str(path), "--image", "-o", str(out)]]
        steps.append(["vtac", "sim", str(out), "--strict", "--cycles"])
        cases.append(Case(f"vtac asm+sim gemm16.s ({how})", steps))
    for i in range(count):
        folder = work / f"image-{i}"
        shutil.copytree(image, folder)
        if rng.random() < 0.5:
            mutated, how = mutate_json((image / "program.json").read_text(), rng)
            (folder / "program.json").write_text(mutated)
        else:
            name = rng.choice(["insn.bin", "dram.bin"])
            data, how = mutate_bytes((image / name).read_bytes(), rng)
            (folder / name).write_bytes(data)
            how = f"{name}: {how}"
        steps = [["vtac", "sim", str(folder), "--strict", "--cycles"]]
        cases.append(Case(f"vtac sim image ({how})", steps))
        cases.append(Case(f"vtac disasm image ({how})", [["vtac", "disasm", str(folder)]]))
    return cases


def _script(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def run_case(case: Case, timeout: float) -> None:
    """Run the case's commands in order, stopping at the first that fails, and judge it."""
    start = time.perf_counter()
    for command in case.commands:
        argv = [_script(command[0]), *command[1:]]
        if command[:2] in (["vtac", "run"], ["vtac", "compile"], ["vtac", "bench"]):
            argv.append("--progress")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            err = expired.stderr.decode() if isinstance(expired.stderr, bytes) else ""
            case.verdict = "long" if "] " in err else "hang"
            case.output = err[-2000:]
            break
        case.status, case.output = done.returncode, (done.stderr + done.stdout)[-2000:]
        if "Traceback (most recent call last)" in case.output or "internal error" in case.output:
            case.verdict = "traceback"
            break
        if done.returncode != 0:
            case.verdict = "ok" if case.output.strip() else "silent failure"
            break
    case.verdict = case.verdict or "ok"
    case.seconds = round(time.perf_counter() - start, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=20, help="mutants of each example")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mutations")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a hang")
    parser.add_argument("--json", help="write every case to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        image = work / "dense-image"
        subprocess.run(
            [_script("vtac"), "compile", str(EXAMPLES / "dense.mlir"), "-o", str(image)],
            check=True,
            capture_output=True,
        )
        cases = table_cases(work, image)
        cases += mutated_cases(work, image, args.mutations, args.seed)
        for index, case in enumerate(cases, start=1):
            run_case(case, args.timeout)
            print(
                f"[{index}/{len(cases)}] {case.verdict:<9} {case.seconds:>6.2f} s  {case.label}",
                flush=True,
            )
    counts = Counter(case.verdict for case in cases)
    print(f"{len(cases)} cases: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    refused = sum(1 for case in cases if case.verdict == "ok" and case.status)
    print(f"ok: {refused} refused with a message, {counts['ok'] - refused} ran (status 0)")
    print(f"tracebacks: {counts['traceback']}, hangs: {counts['hang']}")
    for case in cases:
        if case.verdict not in ("ok", "long"):
            print(f"--- {case.verdict}: {case.label}\n{case.output}")
    if args.json:
        Path(args.json).write_text(json.dumps([vars(c) for c in cases], indent=2))
    return 1 if counts["traceback"] or counts["hang"] or counts["silent failure"] else 0


if __name__ == "__main__":
    sys.exit(main())
