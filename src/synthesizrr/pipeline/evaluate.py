"""The evaluate stage: the paper's metrics, the student and the gold reference."""

from __future__ import annotations

import logging
import random
from collections import Counter
from pathlib import Path
from typing import Any

from synthesizrr.pipeline.refine import real_train
from synthesizrr.pipeline.rundir import atomic_write_json, read_parquet
from synthesizrr.pipeline.stages import StageContext, load_labeled

log = logging.getLogger(__name__)


def real_test(ctx: StageContext) -> tuple[list[str], list[str]] | None:
    cfg = ctx.cfg
    ev = cfg.evaluation
    if not ev.test_path:
        return None
    label_field = ev.label_field or cfg.seeds.label_field
    table = load_labeled(
        cfg, ev.test_path, ev.text_field, label_field, "test set",
        setting="evaluation.test_path",
    )  # fmt: skip
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    if ev.max_test and len(texts) > ev.max_test:
        idx = sorted(random.Random(cfg.seed).sample(range(len(texts)), ev.max_test))
        texts, labels = [texts[i] for i in idx], [labels[i] for i in idx]
    return texts, labels


def score_dataset(
    ctx: StageContext, texts: list[str], labels: list[str], doc_ids: list[str | None] | None
) -> dict[str, Any]:
    """Metrics + student + gold for one dataset; shared by the stage and ``evaluate FILE``."""
    from synthesizrr.distill import sample_like, train_and_evaluate

    cfg = ctx.cfg
    ev = cfg.evaluation
    test = real_test(ctx)
    train_texts, train_labels = real_train(ctx)
    metrics = ctx.executor.compute_metrics(
        ev.metrics, texts, labels,
        real_texts=test[0] if test else None, real_labels=test[1] if test else None,
        train_texts=train_texts, train_labels=train_labels, doc_ids=doc_ids,
        progress=ctx.progress,
    )  # fmt: skip
    result: dict[str, Any] = {
        "size": len(texts),
        "per_label": dict(Counter(labels)),
        "metrics": {name: m.to_dict() for name, m in metrics.items()},
    }
    if test is None:
        result["student"] = {"skipped": "no evaluation.test_path"}
        return result
    labels_order = cfg.task.label_names
    if len(set(labels)) < 2:
        result["student"] = {"skipped": "fewer than 2 labels in the dataset"}
    else:
        report = train_and_evaluate(ev.student, texts, labels, test[0], test[1],
                                    labels=labels_order, progress=ctx.progress)  # fmt: skip
        result["student"] = report.to_dict()
    if ev.gold:
        gold_texts, gold_labels = sample_like(
            train_texts, train_labels, dict(Counter(labels)), cfg.seed
        )
        gold = train_and_evaluate(ev.student, gold_texts, gold_labels, test[0], test[1],
                                  labels=labels_order, progress=ctx.progress)  # fmt: skip
        result["gold"] = gold.to_dict()
    return result


def run_evaluate(ctx: StageContext, out: Path) -> dict[str, Any]:
    table = read_parquet(ctx.input("refine", "dataset.parquet"))
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    doc_ids = table.column("doc_id").to_pylist() if "doc_id" in table.column_names else None
    result = score_dataset(ctx, texts, labels, doc_ids)
    atomic_write_json(out / "metrics.json", result)
    atomic_write_json(ctx.run.path / "metrics.json", result)
    summary: dict[str, Any] = {"rows": len(texts)}
    student = result.get("student", {})
    if "accuracy_mean" in student:
        summary["student_accuracy"] = round(student["accuracy_mean"], 4)
    if "gold" in result:
        summary["gold_accuracy"] = round(result["gold"]["accuracy_mean"], 4)
    for name in ("self_bleu", "entity_entropy", "mauve"):
        m = result["metrics"].get(name)
        if m and m.get("value") is not None:
            summary[name] = round(m["value"], 4)
    return summary
