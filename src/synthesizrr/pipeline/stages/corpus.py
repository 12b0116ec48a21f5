"""The corpus stage: read the corpus into passages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import atomic_write_json
from synthesizrr.pipeline.fingerprint import files_signature
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult, uses_documents


def settings(cfg: RunConfig) -> Any:
    assert cfg.corpus is not None
    return {
        "corpus": cfg.corpus.fingerprint_dump(),
        "files": files_signature(cfg.resolve(cfg.corpus.path)),
    }


def run(ctx: StageContext, out: Path) -> StageResult:
    from synthesizrr.corpus import prepare_passages

    assert ctx.cfg.corpus is not None
    stats = prepare_passages(
        ctx.cfg.corpus, out / layout.PASSAGES, base_dir=ctx.cfg.base_dir, progress=ctx.progress
    )
    summary = stats.to_dict()
    atomic_write_json(out / layout.CORPUS_STATS, summary)
    return StageResult(dict(summary))


STAGE = Stage(
    "corpus", layout.STAGE_FOLDERS["corpus"], (), settings, run, uses_documents,
    description="read the corpus into passages",
)  # fmt: skip
