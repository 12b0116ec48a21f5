"""The leakage stage: check the seeds and corpus passages against the test set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import atomic_write_json, read_parquet
from synthesizrr.pipeline.data import load_labeled
from synthesizrr.pipeline.fingerprint import files_signature
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult, uses_documents


def needed(cfg: RunConfig) -> bool:
    return cfg.evaluation.test_path is not None and cfg.evaluation.leakage_check


def settings(cfg: RunConfig) -> Any:
    ev = cfg.evaluation
    assert ev.test_path is not None
    return {"ngram": ev.leakage_ngram, "test": files_signature(cfg.resolve(ev.test_path)),
            "text_field": ev.text_field, "uses_corpus": uses_documents(cfg)}  # fmt: skip


def run(ctx: StageContext, out: Path) -> StageResult:
    from synthesizrr.retrieval.leakage import check_leakage, summary

    cfg = ctx.cfg
    ev = cfg.evaluation
    assert ev.test_path is not None
    test = load_labeled(cfg, ev.test_path, ev.text_field, ev.label_field or cfg.seeds.label_field,
                        "test set", setting="evaluation.test_path")  # fmt: skip
    seeds = read_parquet(ctx.input("seeds", layout.SEEDS))
    pairs = zip(seeds.column("seed_id").to_pylist(), seeds.column("text").to_pylist(), strict=True)
    result = check_leakage(
        [str(t) for t in test.column("text").to_pylist()],
        [(str(i), str(t)) for i, t in pairs],
        ctx.input("corpus", layout.PASSAGES) if uses_documents(cfg) else None,
        ngram=ev.leakage_ngram,
    )
    atomic_write_json(out / layout.LEAKAGE, result)
    return StageResult(dict(summary(result)))


STAGE = Stage(
    "leakage", layout.STAGE_FOLDERS["leakage"], ("seeds", "corpus"), settings, run, needed,
    description="check seeds and corpus against the test set",
)  # fmt: skip
