"""The report stage: publish the dataset (JSONL, Parquet, card) and write report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import atomic_write_text, read_parquet, write_parquet
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult
from synthesizrr.report.settings import CardSettings


def settings(cfg: RunConfig) -> Any:
    """The card metadata enters only where set: runs made before it existed still skip."""
    card = cfg.card.fingerprint_dump()
    return {"v": 1} if card == CardSettings().fingerprint_dump() else {"v": 1, "card": card}


def run(ctx: StageContext, out: Path) -> StageResult:
    from synthesizrr.report import write_dataset_card, write_report

    run = ctx.run.path
    table = read_parquet(ctx.input("refine", layout.FINAL_DATASET))
    ds = run / layout.DATASET_DIR
    write_parquet(table, ds / layout.TRAIN_PARQUET)
    lines = "".join(
        json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in table.to_pylist()
    )
    atomic_write_text(ds / layout.TRAIN_JSONL, lines)
    write_dataset_card(run, ds / layout.CARD)
    report = write_report(run, run / layout.REPORT)
    atomic_write_text(out / layout.DONE, f"{report}\n")
    return StageResult({"dataset": str(ds), "report": str(report), "rows": table.num_rows})


STAGE = Stage(
    "report", layout.STAGE_FOLDERS["report"], ("refine", "evaluate"), settings, run,
    description="dataset files, dataset card and report.html",
)  # fmt: skip
