"""The report stage: publish the dataset (JSONL, Parquet, card) and write report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthesizrr.pipeline.rundir import atomic_write_text, read_parquet, write_parquet
from synthesizrr.pipeline.stages import StageContext

DATASET_DIR = "dataset"


def run_publish(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.report import write_dataset_card, write_report

    run = ctx.run.path
    table = read_parquet(ctx.input("refine", "dataset.parquet"))
    ds = run / DATASET_DIR
    write_parquet(table, ds / "train.parquet")
    lines = "".join(
        json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in table.to_pylist()
    )
    atomic_write_text(ds / "train.jsonl", lines)
    write_dataset_card(run, ds / "README.md")
    report = write_report(run, run / "report.html")
    atomic_write_text(out / "done.txt", f"{report}\n")
    return {"dataset": str(ds), "report": str(report), "rows": table.num_rows}
