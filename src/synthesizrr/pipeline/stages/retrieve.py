"""The retrieve stage: the seeds' texts query the index for their documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import read_parquet, write_parquet
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult, uses_documents


def settings(cfg: RunConfig) -> Any:
    return {"retrieval": cfg.retrieval.fingerprint_dump(), "seed": cfg.seed}


def run(ctx: StageContext, out: Path) -> StageResult:
    from synthesizrr.retrieval import retrieve
    from synthesizrr.retrieval.stage import band_summary, pair_bands

    seeds = read_parquet(ctx.input("seeds", layout.SEEDS))
    # The index stage folder is the index; a shared cache folder is handled by retrieval.
    pairs = retrieve(
        ctx.cfg.retrieval,
        ctx.input("corpus", layout.PASSAGES),
        ctx.input("index"),
        seeds.select(["seed_id", "text", "label"]),
        seed=ctx.cfg.seed,
        progress=ctx.progress,
    )
    write_parquet(pairs, out / layout.PAIRS)
    roles = pairs.column("role").to_pylist()
    seed_ids = pairs.column("seed_id").to_pylist()
    shot_seeds = {sid for sid, role in zip(seed_ids, roles, strict=True) if role == "shot"}
    return StageResult(
        {
            "pairs": pairs.num_rows,
            "gen_docs": roles.count("gen"),
            "shot_docs": roles.count("shot"),
            "seeds_with_docs": len(set(seed_ids)),
            "seeds_with_shot_docs": len(shot_seeds),
            **band_summary(pair_bands(pairs)),
        }
    )


STAGE = Stage(
    "retrieve", layout.STAGE_FOLDERS["retrieve"], ("seeds", "index"), settings, run,
    uses_documents, description="retrieve documents for every seed",
)  # fmt: skip
