"""The evaluate stage: the paper's metrics, the student and the gold reference."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.fileio import atomic_write_json, read_parquet
from synthesizrr.pipeline.data import real_test, real_train, train_signature
from synthesizrr.pipeline.fingerprint import files_signature
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult

log = logging.getLogger(__name__)


def settings(cfg: RunConfig) -> Any:
    ev = cfg.evaluation
    test = files_signature(cfg.resolve(ev.test_path)) if ev.test_path else None
    return {"evaluation": ev.fingerprint_dump(), "test": test,
            "train": train_signature(cfg), "seed": cfg.seed}  # fmt: skip


def score_dataset(
    ctx: StageContext, texts: list[str], labels: list[str], doc_ids: list[str | None] | None
) -> dict[str, Any]:
    """Metrics + student + gold for one dataset; shared by the stage and ``evaluate FILE``."""
    from synthesizrr.distill import sample_like, train_and_evaluate

    cfg = ctx.cfg
    ev = cfg.evaluation
    sized: dict[str, Any] = {}
    if ev.size is not None:
        texts, labels, doc_ids, sized = _at_size(ctx, texts, labels, doc_ids)
    test = real_test(cfg)
    train_texts, train_labels = real_train(cfg)
    metrics = ctx.executor.compute_metrics(
        ev.metrics, texts, labels,
        real_texts=test[0] if test else None, real_labels=test[1] if test else None,
        train_texts=train_texts, train_labels=train_labels, doc_ids=doc_ids,
        progress=ctx.progress,
    )  # fmt: skip
    result: dict[str, Any] = {
        "size": len(texts),
        **sized,
        "per_label": dict(Counter(labels)),
        "metrics": {name: m.to_dict() for name, m in metrics.items()},
    }
    if test is None:
        result["student"] = {"skipped": "no evaluation.test_path"}
        return result
    labels_order = cfg.task.label_names
    student_predictions: list[Any] = []
    if len(set(labels)) < 2:
        result["student"] = {"skipped": "fewer than 2 labels in the dataset"}
    else:
        report = train_and_evaluate(ev.student, texts, labels, test[0], test[1],
                                    labels=labels_order, progress=ctx.progress,
                                    predictions=student_predictions)  # fmt: skip
        result["student"] = report.to_dict()
    if ev.seeds_baseline:
        result["seeds_baseline"] = seeds_baseline_result(
            ctx, texts, labels, test, student_predictions, (train_texts, train_labels)
        )
    if ev.gold:
        gold_texts, gold_labels = sample_like(
            train_texts, train_labels, dict(Counter(labels)), cfg.seed
        )
        gold = train_and_evaluate(ev.student, gold_texts, gold_labels, test[0], test[1],
                                  labels=labels_order, progress=ctx.progress)  # fmt: skip
        result["gold"] = gold.to_dict()
    return result


def _at_size(
    ctx: StageContext, texts: list[str], labels: list[str], doc_ids: list[str | None] | None
) -> tuple[list[str], list[str], list[str | None] | None, dict[str, Any]]:
    """The ``evaluation.size`` sample of a dataset, and what was asked and found."""
    from synthesizrr.distill import downsample_indices

    cfg = ctx.cfg
    size = cfg.evaluation.size
    assert size is not None
    info: dict[str, Any] = {"size_requested": size, "size_before": len(texts)}
    if size > len(texts):
        log.warning(
            "evaluation.size is %d but the dataset has %d rows: scoring all of them",
            size, len(texts),
        )  # fmt: skip
    idx, _ = downsample_indices(labels, size, cfg.seed, cfg.task.label_names)
    texts, labels = [texts[i] for i in idx], [labels[i] for i in idx]
    if doc_ids is not None:
        doc_ids = [doc_ids[i] for i in idx]
    return texts, labels, doc_ids, info


def seeds_baseline_result(
    ctx: StageContext,
    texts: list[str],
    labels: list[str],
    test: tuple[list[str], list[str]],
    student_predictions: list[Any],
    train: tuple[list[str], list[str]],
) -> dict[str, Any]:
    """The same student on the run's seeds alone and on seeds + ``texts`` (the uplift), and,
    with ``evaluation.real_ceiling`` and ``gold``, on seeds + as many real ``train`` rows
    that are not seeds (the ceiling)."""
    from synthesizrr.distill import sample_like
    from synthesizrr.distill.baselines import seeds_baseline

    path = ctx.input("seeds", layout.SEEDS)
    if not path.is_file():
        return {"skipped": "no seeds stage output in this run folder (01_seeds/seeds.parquet)"}
    seeds = read_parquet(path)
    seed_texts = [str(t) for t in seeds.column("text").to_pylist()]
    seed_labels = [str(x) for x in seeds.column("label").to_pylist()]
    cfg = ctx.cfg
    real = None
    if cfg.evaluation.real_ceiling and cfg.evaluation.gold:
        seen = set(seed_texts)
        pool = [(t, y) for t, y in zip(*train, strict=True) if t not in seen]
        real = sample_like([t for t, _ in pool], [y for _, y in pool], dict(Counter(labels)),
                           cfg.seed)  # fmt: skip
    base = seeds_baseline(
        cfg.evaluation.student, (seed_texts, seed_labels), (texts, labels), test,
        labels=cfg.task.label_names, synthetic_predictions=student_predictions,
        synthetic_weight=cfg.evaluation.synthetic_weight, real=real, seed=cfg.seed,
        progress=ctx.progress,
    )  # fmt: skip
    log.info("seeds baseline: %s", base.verdict)
    return base.to_dict()


def run(ctx: StageContext, out: Path) -> StageResult:
    table = read_parquet(ctx.input("refine", layout.FINAL_DATASET))
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    doc_ids = table.column("doc_id").to_pylist() if "doc_id" in table.column_names else None
    result = score_dataset(ctx, texts, labels, doc_ids)
    atomic_write_json(out / layout.STAGE_METRICS, result)
    atomic_write_json(ctx.run.path / layout.METRICS, result)
    summary: dict[str, Any] = {"rows": result["size"]}
    student = result.get("student", {})
    if "accuracy_mean" in student:
        summary["student_accuracy"] = round(student["accuracy_mean"], 4)
    if "gold" in result:
        summary["gold_accuracy"] = round(result["gold"]["accuracy_mean"], 4)
    base = result.get("seeds_baseline", {})
    for key in ("seeds_only_accuracy", "seeds_plus_synthetic_accuracy", "uplift_vs_seeds_only",
                "real_uplift_vs_seeds_only"):  # fmt: skip
        if base.get(key) is not None:
            summary[key] = round(base[key], 4)
    for name in ("self_bleu", "entity_entropy", "mauve"):
        m = result["metrics"].get(name)
        if m and m.get("value") is not None:
            summary[name] = round(m["value"], 4)
    return StageResult(summary)


STAGE = Stage(
    "evaluate", layout.STAGE_FOLDERS["evaluate"], ("refine",), settings, run,
    description="metrics, student and gold reference on real data",
)  # fmt: skip
