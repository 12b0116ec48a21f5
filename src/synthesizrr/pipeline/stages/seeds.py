"""The seeds stage: sample the seed examples per label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import write_parquet
from synthesizrr.pipeline.data import sample_seeds
from synthesizrr.pipeline.fingerprint import files_signature
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult


def settings(cfg: RunConfig) -> Any:
    return {
        "seeds": cfg.seeds.fingerprint_dump(),
        "files": files_signature(cfg.resolve(cfg.seeds.path)),
        "labels": cfg.task.label_names,
        "seed": cfg.seed,
    }


def run(ctx: StageContext, out: Path) -> StageResult:
    import pyarrow as pa

    rows, warnings = sample_seeds(ctx.cfg)
    per_label = {lab: sum(r["label"] == lab for r in rows) for lab in ctx.cfg.task.label_names}
    write_parquet(pa.Table.from_pylist(rows), out / layout.SEEDS)
    summary: dict[str, Any] = {"seeds": len(rows), "per_label": per_label}
    if warnings:
        summary["warnings"] = warnings  # logged by the runner, listed in the report
    return StageResult(summary)


STAGE = Stage(
    "seeds", layout.STAGE_FOLDERS["seeds"], (), settings, run,
    description="sample the seed examples per label",
)  # fmt: skip
