"""Tuning logs as AutoTVM keeps them: one JSON object per line and per measurement.

    {"workload": "conv:3f9c...", "label": "C9", "config": {...}, "measure": "simulator",
     "cycles": 346506, "correct": true, "error": null, "time": 1733330000.0, "seconds": 0.7}

``workload`` is :func:`vtac.tune.space.workload_key` (the function's name and a digest of its IR
and hardware configuration); ``config`` a configuration of vtac's or TVM's space, or
``{"space": "builtin"}`` for the built-in search. A job rerun with the same log reads it first
and never measures a configuration twice; :func:`best_options` gives ``--tuning-log`` the
compile options of a workload's best record.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from vtac.runtime.config import VTAConfig
from vtac.tune.measure import Result, options_of
from vtac.tune.space import TuneError, canonical, workload_key


def read(path: str | Path) -> list[dict]:
    """The records of a log (none if it does not exist); a malformed line is a TuneError."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise TuneError(f"{path}:{number}: not a JSON line: {err.msg}") from None
        if not isinstance(record, dict) or not {"workload", "config"} <= record.keys():
            raise TuneError(f"{path}:{number}: a record needs 'workload' and 'config'")
        records.append(record)
    return records


def record(
    workload: str, label: str, config: dict, measure: str, result: Result
) -> dict[str, object]:
    return {
        "workload": workload,
        "label": label,
        "config": config,
        "measure": measure,
        "cycles": result.cycles,
        "correct": result.correct,
        "error": result.error,
        "time": round(time.time(), 3),
        "seconds": round(result.seconds, 4),
    }


def append(path: str | Path, entry: dict[str, object]) -> None:
    """Add one record (written through, so an interrupted job keeps what it measured)."""
    with Path(path).open("a") as out:
        out.write(json.dumps(entry, sort_keys=True) + "\n")


def measured(records: list[dict], workload: str, measure: str) -> dict[str, dict]:
    """The records of ``workload`` measured with ``measure``, by configuration."""
    return {
        canonical(r["config"]): r
        for r in records
        if r["workload"] == workload and r.get("measure") == measure
    }


def best(records: list[dict], workload: str) -> dict | None:
    """The workload's fastest successful record: simulated ones first (they are checked
    against the reference), else those of the model."""
    usable = [
        r
        for r in records
        if r["workload"] == workload and r.get("cycles") and r.get("correct") is not False
    ]
    simulated = [r for r in usable if r.get("measure") == "simulator"]
    pool = simulated or usable
    return min(pool, key=lambda r: r["cycles"]) if pool else None


def best_options(
    path: str | Path, module: ModuleOp, function: str | None, config: VTAConfig | None
) -> dict[str, object] | None:
    """Compile options of the best record of the log at ``path`` for the function
    ``function`` of ``module`` on ``config``, None if the log has none (the built-in search
    then chooses)."""
    found = best(read(path), workload_key(module, function, config))
    return None if found is None else options_of(found["config"])
