"""The refine stage: filter the parsed generations into the final dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from synthesizrr.errors import StageError
from synthesizrr.pipeline.rundir import atomic_write_json, read_parquet, write_parquet
from synthesizrr.pipeline.stages import StageContext, load_labeled


def real_train(ctx: StageContext) -> tuple[list[str], list[str]]:
    """The real train set (for the oracle, the gold student and the target distribution)."""
    cfg = ctx.cfg
    ev = cfg.evaluation
    path = ev.train_path or cfg.seeds.path
    label_field = ev.label_field or cfg.seeds.label_field
    text_field = ev.text_field if ev.train_path else cfg.seeds.text_field
    setting = "evaluation.train_path" if ev.train_path else "seeds.path"
    table = load_labeled(cfg, path, text_field, label_field, "train set", setting=setting)
    return (
        [str(t) for t in table.column("text").to_pylist()],
        [str(x) for x in table.column("label").to_pylist()],
    )


def run_refine(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.refine import refine

    cfg = ctx.cfg
    table = read_parquet(ctx.input("generate", "generations.parquet"))
    if table.num_rows == 0:
        raise _nothing_generated(ctx)
    train_texts, train_labels = real_train(ctx)
    seeds = read_parquet(ctx.input("seeds", "seeds.parquet"))
    check = cfg.refine.label_check.enabled
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
    )
    write_parquet(result.kept, out / "dataset.parquet")
    write_parquet(result.removed, out / "removed.parquet")
    if result.datamap is not None:
        write_parquet(result.datamap, out / "datamap.parquet")
    kept_labels = Counter(result.kept.column("label").to_pylist()) if result.kept.num_rows else {}
    summary = {
        "input": table.num_rows,
        "kept": result.kept.num_rows,
        "removed": result.removed.num_rows,
        "kept_fraction": result.stats["kept_fraction"],
        "kept_per_label": {lab: int(kept_labels.get(lab, 0)) for lab in cfg.task.label_names},
        "steps": result.stats,
    }
    atomic_write_json(out / "summary.json", summary)
    return summary


def _nothing_generated(ctx: StageContext) -> StageError:
    """Refining nothing would only hide the cause: name where the generations went."""
    dropped_path = ctx.input("generate", "dropped.parquet")
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
