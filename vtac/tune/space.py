"""A workload's schedule spaces: vtac's knobs, and TVM's VTA conv2d template for comparison.

A space is a list of configurations (JSON objects, as the tuning log records them), each a
choice of one value per knob, with the compiler's verdict on each (:mod:`vtac.tune.validity`):
valid with the analytic model's estimate, or the limit it breaks.

- ``vtac``: per embedding vtac-isel can form (auto and TVM's fixed one, when they differ), the
  tile size of every blocked loop (the compiler's candidate sizes, one per trip count, thinned
  to ``TILE_CHOICES``; loops over a zero border stay whole, as vtac-tile keeps them), the
  tile-loop order (the orders vtac-tile scores), virtual threads and accumulator parts ((1, 1),
  (2, 2), (2, 1)), the last tile's epilogue (split or whole, where the compiler would split it)
  and, with ``splits``, the first and last steps run in two halves along their outermost
  parallel loop of two or more iterations (each such configuration planned by vtac-tile to
  check that the walk honours it: slower to build).
- ``tvm``: TVM's template (``vta/python/vta/top/vta_conv2d.py`` before Nov 2024): two-way splits
  tile_b, tile_h, tile_w, tile_ci, tile_co of the blocked batch, output rows, output columns,
  input- and output-channel blocks (every factor pair), and ``oc_nthread``, ``h_nthread`` in
  {1, 2}, on the fixed embedding with TVM's loop order. Its virtual threads multiply (two of
  each make four, every buffer split four ways); vtac runs at most two, so a valid four-thread
  plan is measured with two.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from vtac.api import parse_ir, print_ir
from vtac.backends.reference import find_function
from vtac.bench import TVM_ORDER, tvm_options
from vtac.dialects.common import CONFIG_ATTR, config_attr
from vtac.dialects.vta import module_config
from vtac.passes.isel import InstructionSelection
from vtac.passes.layout import Layout
from vtac.passes.schedule import TileOptions
from vtac.planning.contraction import CompileError, Kernel, analyse, kernel_stages
from vtac.planning.tiling import SPLIT_ENTRIES, Split, TileProblem, _orders, candidate_sizes
from vtac.runtime.config import VTAConfig
from vtac.tune import TuneError
from vtac.tune.validity import Verdict, check, check_splits, limit_of

#: Tile sizes per loop in vtac's space (the compiler's candidates, thinned as it thins them).
TILE_CHOICES = 8
#: (virtual threads, accumulator parts) in vtac's space.
THREADS = ((1, 1), (2, 2), (2, 1))
SPACES = ("vtac", "tvm")


@dataclass(frozen=True)
class Workload:
    """One function to tune: its IR text, its name in it and the hardware configuration."""

    text: str
    function: str | None
    config: VTAConfig
    label: str = ""

    def module(self) -> ModuleOp:
        module = parse_ir(self.text)
        module.attributes[CONFIG_ATTR] = config_attr(self.config)
        return module

    @cached_property
    def key(self) -> str:
        """What identifies the workload in a tuning log: the function's name and a digest of
        its printed IR and of the hardware configuration."""
        return workload_key(self.module(), self.function, self.config)

    def kernel(self, embedding: str) -> Kernel:
        """The function after vtac-isel (``embedding``) and vtac-layout, analysed."""
        module = self.module()
        function = find_function(module, self.function)
        if len(kernel_stages(function)) != 1:
            raise TuneError("vtac tune handles functions of one stage (a contraction and epilogue)")
        work = ModuleOp([function.clone()])
        work.attributes.update(module.attributes)
        InstructionSelection(embedding=embedding).apply(Context(), work)
        Layout().apply(Context(), work)
        return analyse(find_function(work, self.function))


def workload_key(module: ModuleOp, function: str | None, config: VTAConfig | None) -> str:
    """``NAME:DIGEST`` of the function ``function`` (or the only one) of ``module`` on
    ``config`` (the module's own when None)."""
    found = find_function(module, function)
    name = found.sym_name.data
    text = print_ir(ModuleOp([found.clone()]))
    chosen = config or module_config(module)
    digest = hashlib.sha256(f"{text}\n{chosen.name}".encode()).hexdigest()[:16]
    return f"{name}:{digest}"


@dataclass(frozen=True)
class Knob:
    name: str
    values: tuple[object, ...]


@dataclass
class Space:
    """The configurations of one workload's space, with the compiler's verdict on each."""

    kind: str
    workload: Workload
    configs: list[dict[str, object]]
    #: the analytic model's cycles of each valid configuration (0 for an invalid one)
    estimates: np.ndarray
    #: the limit each invalid configuration breaks (None for a valid one)
    broken: list[str | None]
    #: numbers per configuration the model-based tuners learn from (see features)
    features: np.ndarray
    knobs: list[Knob] = field(default_factory=list)

    def __post_init__(self) -> None:
        flat = [_flatten(c) for c in self.configs]
        names = list(dict.fromkeys(k for c in flat for k in c))
        values = {n: list(dict.fromkeys(c.get(n) for c in flat)) for n in names}
        self.knobs = [Knob(n, tuple(values[n])) for n in names]
        index = {n: {v: i for i, v in enumerate(values[n])} for n in names}
        self.rows = np.array(
            [[index[n][c.get(n)] for n in names] for c in flat], dtype=np.int64
        ).reshape(len(self.configs), len(names))
        self._lookup = {tuple(r): i for i, r in enumerate(self.rows.tolist())}
        self._by_text = {canonical(c): i for i, c in enumerate(self.configs)}
        self._neighbours: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.configs)

    @property
    def valid(self) -> np.ndarray:
        return np.array([b is None for b in self.broken], dtype=bool)

    def refuse(self, i: int, reason: str) -> None:
        """Mark configuration ``i`` invalid: the compiler could not build it (a deadlock of its
        dependency tokens, a box the DMA cannot move) though it keeps within the limits."""
        self.broken[i] = reason
        self._neighbours.clear()

    def index(self, config: dict[str, object]) -> int | None:
        """The position of ``config`` in the space (None if it is not in it)."""
        return self._by_text.get(canonical(config))

    def limits(self) -> Counter[str]:
        """How many configurations break each limit (the first one the compiler checks)."""
        return Counter(limit_of(b) for b in self.broken if b is not None)

    def neighbours(self, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every position, the ``allowed`` positions that differ from it in one knob, as
        (start offsets, concatenated positions): a mutation draws among them, so that a walk
        from an allowed configuration stays on allowed ones."""
        key = allowed.tobytes()
        if key not in self._neighbours:
            starts, found = [0], []
            for row in self.rows.tolist():
                for k, knob in enumerate(self.knobs):
                    for v in range(len(knob.values)):
                        if v != row[k]:
                            j = self._lookup.get((*row[:k], v, *row[k + 1 :]))
                            if j is not None and allowed[j]:
                                found.append(j)
                starts.append(len(found))
            self._neighbours[key] = (np.array(starts), np.array(found, dtype=np.int64))
        return self._neighbours[key]

    def options(self, i: int) -> dict[str, object]:
        """The compile options (``embedding``, ``tiling``) of configuration ``i``."""
        return compile_options(self.configs[i])

    def summary(self) -> str:
        """Size, valid count and the invalid ones by limit, as ``vtac tune --space`` prints."""
        valid = int(self.valid.sum())
        lines = [
            f"{self.kind} space of {self.workload.label or self.workload.key}: "
            f"{len(self)} configurations, {valid} valid ({valid / max(len(self), 1):.1%}), "
            f"{len(self) - valid} invalid",
            "knobs: "
            + ", ".join(f"{k.name} ({len(k.values)})" for k in self.knobs if len(k.values) > 1),
        ]
        for limit, count in self.limits().most_common():
            lines.append(f"  {count:>7}  {limit}")
        return "\n".join(lines)


def _flatten(config: dict[str, object]) -> dict[str, object]:
    """A configuration's knobs: a mapping's entries as knobs of their own (``tiles.oh``),
    lists as JSON text."""
    flat: dict[str, object] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat |= {f"{key}.{k}": json.dumps(v) for k, v in value.items()}
        else:
            flat[key] = json.dumps(value) if isinstance(value, list) else value
    return flat


def canonical(config: dict[str, object]) -> str:
    """A configuration as one JSON text (keys sorted): equal configurations, equal texts."""
    return json.dumps(config, sort_keys=True)


def compile_options(config: dict[str, object]) -> dict[str, object]:
    """The compile options (``embedding``, ``tiling``) a configuration of either space names."""
    kind = config.get("space")
    if kind == "vtac":
        tiling = TileOptions(
            tiles=dict(config["tiles"]),  # type: ignore[arg-type]
            vthreads=int(config["vthreads"]),  # type: ignore[arg-type]
            order=tuple(config["order"]),  # type: ignore[arg-type]
            acc_threads=int(config["acc_threads"]),  # type: ignore[arg-type]
            epilogue=str(config["epilogue"]),
            head=str(config.get("head", "none")),
            tail=str(config.get("tail", "none")),
        )
        return {"embedding": config["embedding"], "tiling": tiling}
    if kind == "tvm":
        threads = int(config["oc_nthread"]) * int(config["h_nthread"])  # type: ignore[arg-type]
        tiles = {
            "batch": config["tile_b"][1],  # type: ignore[index]
            "oh": config["tile_h"][1],  # type: ignore[index]
            "ow": config["tile_w"][1],  # type: ignore[index]
            "block_in": config["tile_ci"][1],  # type: ignore[index]
            "block_out": config["tile_co"][1],  # type: ignore[index]
            **dict(config["window"]),  # type: ignore[arg-type]
        }
        return tvm_options(tiles, min(threads, 2))  # type: ignore[arg-type]
    raise TuneError(f"a tuning record's config names no known space: {kind!r}")


def _problem(kernel: Kernel) -> TileProblem:
    passes = len(kernel.epilogue.steps) + kernel.epilogue.planes - 1
    return kernel.blocked.problem(kernel.config, alu_passes=passes)


def _features(problem: TileProblem, tiles: dict[str, int], order: tuple[str, ...]) -> list[float]:
    """Tile sizes and trip counts (log2) in a fixed loop order, and each loop's position in the
    tile-loop order."""
    extents = problem.extents
    out: list[float] = []
    for name in sorted(extents):
        trips = -(-extents[name] // tiles[name])
        out += [math.log2(tiles[name]), math.log2(trips), float(order.index(name))]
    return out


def vtac_space(workload: Workload, splits: bool = False) -> Space:
    """vtac's space of ``workload`` (see the module's documentation)."""
    configs: list[dict[str, object]] = []
    estimates: list[int] = []
    broken: list[str | None] = []
    features: list[list[float]] = []
    seen: set[str] = set()
    for e, embedding in enumerate(("auto", "fixed")):
        try:
            kernel = workload.kernel(embedding)
        except CompileError:
            continue
        problem = _problem(kernel)
        signature = _signature(problem)
        if signature in seen:  # the fixed embedding is the one chosen (loops renamed alone)
            continue
        seen.add(signature)
        extents = problem.extents
        names = [n for n, _ in problem.loops]
        choices = [
            [extents[n]] if n in problem.whole else candidate_sizes(extents[n], TILE_CHOICES)
            for n in names
        ]
        for sizes in itertools.product(*choices):
            tiles = dict(zip(names, sizes, strict=True))
            for order in _orders(problem):
                for vthreads, acc in THREADS:
                    verdict = check(problem, kernel.config, tiles, order, vthreads, acc)
                    base = {
                        "space": "vtac",
                        "embedding": embedding,
                        "tiles": tiles,
                        "order": list(order),
                        "vthreads": vthreads,
                        "acc_threads": acc,
                    }
                    for extra in _edge_choices(problem, tiles, order, splits):
                        config = {**base, **extra}
                        configs.append(config)
                        estimates.append(verdict.cycles)
                        split = extra["head"] != "none" or extra["tail"] != "none"
                        if verdict.valid and split:
                            tiling = compile_options(config)["tiling"]
                            broken.append(check_splits(kernel, tiling))  # type: ignore[arg-type]
                        else:
                            broken.append(verdict.broken)
                        flags = [
                            float(e),
                            vthreads,
                            acc,
                            float(extra["epilogue"] == "split"),
                            float(extra["head"] != "none"),
                            float(extra["tail"] != "none"),
                        ]
                        analytic = [
                            math.log2(max(verdict.cycles, 1)),
                            math.log2(max(verdict.dram_bytes, 1)),
                        ]
                        features.append(
                            flags + analytic + _features(problem, tiles, order)  # type: ignore[arg-type]
                        )
    if not configs:
        raise TuneError("no embedding of the workload can be compiled")
    width = max(len(f) for f in features)  # embeddings may block into different loop counts
    table = np.array([f + [0.0] * (width - len(f)) for f in features])
    return Space("vtac", workload, configs, np.array(estimates, dtype=np.int64), broken, table)


def _signature(problem: TileProblem) -> str:
    """The problem with its loops named by position: two embeddings that differ in loop names
    alone give one signature."""
    text = repr(problem)
    for i, (name, _) in enumerate(problem.loops):
        text = text.replace(f"'{name}'", f"'#{i}'")
    return text


def _edge_choices(
    problem: TileProblem, tiles: dict[str, int], order: tuple[str, ...], splits: bool
) -> list[dict[str, str]]:
    """The epilogue and head/tail choices that make a difference for these tiles: the last
    tile's epilogue split where it has ``SPLIT_ENTRIES`` entries or more; with ``splits``, the
    first (last) step in two halves along its outermost parallel loop of 2 or more iterations
    (a tail split replaces the epilogue split)."""
    extents = problem.extents
    trips = {n: -(-extents[n] // tiles[n]) for n in extents}
    last = {n: extents[n] - (trips[n] - 1) * tiles[n] for n in extents}
    out_entries = math.prod(last[n] for n in problem.out.loops)
    epilogues = ["split", "whole"] if out_entries >= SPLIT_ENTRIES else ["whole"]
    heads, tails = ["none"], ["none"]
    if splits:
        parallel = [n for n in order if n not in problem.reduction]
        first = {n: min(tiles[n], extents[n]) for n in extents}
        for sizes, options in ((first, heads), (last, tails)):
            loop = next((n for n in parallel if sizes[n] >= 2), None)
            if loop is not None:
                options.append(str(Split(loop, (sizes[loop] // 2,))))
    choices = []
    for epilogue, head, tail in itertools.product(epilogues, heads, tails):
        if tail != "none" and epilogue == "split":
            continue  # the tail split replaces the epilogue split
        choices.append({"epilogue": epilogue, "head": head, "tail": tail})
    return choices


def _splits(extent: int) -> list[list[int]]:
    """Every two-way split [outer, inner] of a loop of ``extent`` (AutoTVM's define_split with
    two outputs: inner a factor of the extent)."""
    return [[extent // f, f] for f in range(1, extent + 1) if extent % f == 0]


def tvm_verdict(kernel: Kernel, config: dict[str, object]) -> Verdict:
    """The compiler's verdict on a configuration of TVM's space, its buffers split between
    all of its virtual threads (four when both knobs ask for two)."""
    threads = int(config["oc_nthread"]) * int(config["h_nthread"])  # type: ignore[arg-type]
    tiling = compile_options(config)["tiling"]
    tiles = tiling.tiles  # type: ignore[attr-defined]
    return check(_problem(kernel), kernel.config, tiles, TVM_ORDER, threads, threads)


def tvm_space(workload: Workload) -> Space:
    """TVM's VTA conv2d template space of ``workload`` (see the module's documentation)."""
    kernel = workload.kernel("fixed")
    problem = _problem(kernel)
    extents = problem.extents
    expected = {"batch", "block_out", "oh", "ow", "block_in", "kh", "kw"}
    if set(extents) != expected:
        raise TuneError("TVM's VTA template space is defined for conv2d workloads only")
    window = {"kh": extents["kh"], "kw": extents["kw"]}
    axes = {"tile_b": "batch", "tile_h": "oh", "tile_w": "ow", "tile_ci": "block_in"}
    axes["tile_co"] = "block_out"
    configs: list[dict[str, object]] = []
    estimates: list[int] = []
    broken: list[str | None] = []
    features: list[list[float]] = []
    knobs = [_splits(extents[loop]) for loop in axes.values()]
    for split in itertools.product(*knobs):
        tiles = {loop: s[1] for loop, s in zip(axes.values(), split, strict=True)} | window
        for oc_nthread, h_nthread in itertools.product((1, 2), (1, 2)):
            config = {
                "space": "tvm",
                **{knob: s for knob, s in zip(axes, split, strict=True)},
                "oc_nthread": oc_nthread,
                "h_nthread": h_nthread,
                "window": window,
            }
            verdict = tvm_verdict(kernel, config)
            configs.append(config)
            estimates.append(verdict.cycles)
            broken.append(verdict.broken)
            # AutoTVM's "knob" features: the knobs' values (no analytic estimate: TVM has none)
            features.append(
                _features(problem, tiles, TVM_ORDER) + [float(oc_nthread), float(h_nthread)]
            )
    return Space(
        "tvm", workload, configs, np.array(estimates, dtype=np.int64), broken, np.array(features)
    )


def build_space(workload: Workload, kind: str, splits: bool = False) -> Space:
    if kind == "vtac":
        return vtac_space(workload, splits)
    if kind == "tvm":
        return tvm_space(workload)
    raise TuneError(f"unknown space {kind!r}: {', '.join(SPACES)}")
