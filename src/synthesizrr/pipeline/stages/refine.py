"""The refine stage: filter the parsed generations into the final dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.errors import StageError
from synthesizrr.fileio import atomic_write_json, read_parquet, write_parquet
from synthesizrr.pipeline.data import real_train, train_signature
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult

if TYPE_CHECKING:
    from synthesizrr.refine.teacher_scores import TeacherScorer


def settings(cfg: RunConfig) -> Any:
    return {"refine": cfg.refine.fingerprint_dump(), "seed": cfg.seed,
            "train": train_signature(cfg)}  # fmt: skip


def _teacher_scorer(cfg: RunConfig) -> TeacherScorer | None:
    """The teacher that scores rows for ``refine.label_check.scorer: teacher`` (or
    ``both``), else None."""
    settings = cfg.refine.label_check
    if settings.scorer not in ("teacher", "both"):
        return None
    from synthesizrr.refine.teacher_scores import TeacherScorer

    return TeacherScorer(cfg.task, cfg.generation.llm, settings.teacher)


def run(ctx: StageContext, out: Path) -> StageResult:
    from synthesizrr.refine import refine

    cfg = ctx.cfg
    table = read_parquet(ctx.input("generate", layout.GENERATIONS))
    if table.num_rows == 0:
        raise _nothing_generated(ctx)
    train_texts, train_labels = real_train(cfg)
    seeds = read_parquet(ctx.input("seeds", layout.SEEDS))
    check = cfg.refine.label_check.enabled is not False  # None: on where the seeds allow it
    counts = Counter(train_labels)
    total = sum(counts.values())
    target = {lab: counts.get(lab, 0) / total for lab in cfg.task.label_names}
    result = refine(
        table,
        cfg.refine,
        labels=cfg.task.label_names,
        target_distribution=target,
        oracle_texts=train_texts if cfg.refine.label_filter else None,
        oracle_labels=train_labels if cfg.refine.label_filter else None,
        seed_texts=[str(t) for t in seeds.column("text").to_pylist()] if check else None,
        seed_labels=[str(x) for x in seeds.column("label").to_pylist()] if check else None,
        progress=ctx.progress,
        teacher=_teacher_scorer(cfg) if check else None,
    )
    write_parquet(result.kept, out / layout.FINAL_DATASET)
    write_parquet(result.removed, out / layout.REMOVED)
    if result.datamap is not None:
        write_parquet(result.datamap, out / layout.DATAMAP)
    kept_labels = Counter(result.kept.column("label").to_pylist()) if result.kept.num_rows else {}
    summary = {
        "input": table.num_rows,
        "kept": result.kept.num_rows,
        "removed": result.removed.num_rows,
        "kept_fraction": result.stats["kept_fraction"],
        "kept_per_label": {lab: int(kept_labels.get(lab, 0)) for lab in cfg.task.label_names},
        "steps": result.stats,
    }
    atomic_write_json(out / layout.SUMMARY, summary)
    return StageResult(summary)


def _nothing_generated(ctx: StageContext) -> StageError:
    """Refining nothing would only hide the cause: name where the generations went."""
    dropped_path = ctx.input("generate", layout.DROPPED)
    reasons: Counter[str] = Counter()
    if dropped_path.exists():
        dropped = read_parquet(dropped_path)
        # "request_failed: <error>" and "truncated: ..." count by their kind
        reasons.update(str(r).split(":")[0] for r in dropped.column("reason").to_pylist())
    top = ", ".join(f"{reason} x{n}" for reason, n in reasons.most_common(3)) or "none recorded"
    return StageError(
        f"the generate stage kept no rows ({sum(reasons.values())} dropped: {top}); "
        f"see {dropped_path}",
        fix="read the 'raw' and 'reason' columns there; a request_failed reason is retried by "
        "`synthesizrr generate CONFIG --retry-failed`, a parse reason needs a larger "
        "max_new_tokens, another prompt or another teacher",
    )


# The refine stage reads the seeds too (label check); they reach it through generate,
# which reruns whenever they do, so its inputs stay as before and old runs resume.
# version 2: the seed-only label check is on by default (refine.label_check.enabled: null,
# on where the seeds allow it); a run refined before it was, with the check off, refines again.
STAGE = Stage(
    "refine", layout.STAGE_FOLDERS["refine"], ("generate",), settings, run,
    description="deduplicate, label check, cartography filter, resample", version=2,
)  # fmt: skip
