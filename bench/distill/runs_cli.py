"""What the run-folder studies of bench/distill share: reading a run's rows, and the CLI
that measures each run folder, prints it, and writes the JSON and the Markdown."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from synthesizrr.fileio import atomic_write_json, atomic_write_text, read_parquet  # noqa: E402


def texts_labels(path: Path) -> tuple[list[str], list[str]]:
    """The ``text`` and ``label`` columns of a parquet file, as strings."""
    table = read_parquet(path)
    texts = [str(t) for t in table.column("text").to_pylist()]
    return texts, [str(x) for x in table.column("label").to_pylist()]


def main_over_runs(
    argv: list[str] | None,
    *,
    description: str | None,
    default_out: Path,
    measure: Callable[[Path], dict[str, Any]],
    markdown: Callable[[list[dict[str, Any]], str], str],
    extra: dict[str, Any] | None = None,
) -> None:
    """``SCRIPT RUN_DIR [RUN_DIR ...] [--out JSON] [--markdown MD]``: one entry per run."""
    ap = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=default_out)
    ap.add_argument("--markdown", type=Path, default=None)
    args = ap.parse_args(argv)
    entries = []
    for run in args.runs:
        entries.append(measure(run))
        print(json.dumps(entries[-1]), flush=True)
    command = "python " + " ".join(sys.argv)
    atomic_write_json(args.out, {"command": command, **(extra or {}), "entries": entries})
    if args.markdown is not None:
        atomic_write_text(args.markdown, markdown(entries, command))
    print(markdown(entries, command))


Rows = tuple[list[str], list[str]]


def load_run(run: Path) -> tuple[Any, Rows, Rows, Rows]:
    """A finished run folder's config, seeds, kept synthetic rows and real test rows."""
    from synthesizrr import layout
    from synthesizrr.config import load_config
    from synthesizrr.pipeline.data import real_test

    cfg = load_config(run / layout.CONFIG)
    seeds = texts_labels(run / layout.STAGE_FOLDERS["seeds"] / layout.SEEDS)
    synthetic = texts_labels(run / layout.STAGE_FOLDERS["refine"] / layout.FINAL_DATASET)
    test = real_test(cfg)
    if test is None:
        raise SystemExit(f"{run}: its config.yaml has no evaluation.test_path")
    return cfg, seeds, synthetic, (list(test[0]), list(test[1]))
