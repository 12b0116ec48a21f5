"""What the small generation benchmarks share: the machine's record and one key of
``results.json`` rewritten (the script's directory is on ``sys.path`` when it runs)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def machine(load_start: float, t_start: float) -> dict[str, Any]:
    """CPUs, load average at start and now, and wall seconds since ``t_start``."""
    return {
        "cpus": os.cpu_count(),
        "load_avg_start": round(load_start, 2),
        "load_avg_end": round(os.getloadavg()[0], 2),
        "wall_s": round(time.time() - t_start, 1),
    }


def save(
    path: Path,
    key: str,
    record: dict[str, Any],
    markdown: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Set ``key`` of the JSON file at ``path`` (made if absent) to ``record``; when that
    file is the committed ``results.json``, ``markdown(record)`` rewrites its Markdown."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = record
    path.write_text(json.dumps(data, indent=2) + "\n")
    if markdown is not None and path.resolve() == RESULTS:
        markdown(record)


def command_sentence(record: dict[str, Any]) -> str:
    """``Command: `...` (wall, CPUs, load average at start and end).`` of a record."""
    m = record["machine"]
    return (
        f"Command: `{record['command']}` ({m['wall_s']} s wall, {m['cpus']} CPUs, load average "
        f"{m['load_avg_start']} at start, {m['load_avg_end']} at end)."
    )


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    """A Markdown table's lines; a list cell is written comma-separated."""

    def cell(v: Any) -> str:
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
