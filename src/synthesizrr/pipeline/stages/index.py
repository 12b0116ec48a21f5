"""The index stage: embed the passages and build the retrieval index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import atomic_write_json
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult, uses_documents


def settings(cfg: RunConfig) -> Any:
    return cfg.retrieval.index_stage_dump()


def run(ctx: StageContext, out: Path) -> StageResult:
    info = ctx.executor.build_index(
        ctx.cfg.retrieval, ctx.input("corpus", layout.PASSAGES), out, progress=ctx.progress
    )
    info.pop("path", None)  # the partial folder it was built in; the stage folder is the index
    atomic_write_json(out / layout.INDEX_INFO, info)
    return StageResult(
        {k: v for k, v in info.items() if isinstance(v, int | float | str) and k != "fingerprint"}
    )


STAGE = Stage(
    "index", layout.STAGE_FOLDERS["index"], ("corpus",), settings, run, uses_documents,
    description="embed passages and build the retrieval index",
)  # fmt: skip
