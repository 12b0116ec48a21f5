"""The real data a run reads, as plain functions of the config: the seeds, the real
train set and the real test set, their labels checked against the task."""

from __future__ import annotations

import random
from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.errors import InputDataError
from synthesizrr.pipeline.fingerprint import files_signature

Labeled = tuple[list[str], list[str]]  # (texts, labels)


def load_labeled(
    cfg: RunConfig,
    path: str,
    text_field: str,
    label_field: str,
    what: str,
    *,
    setting: str = "labeled file",
) -> Any:
    """Read a labeled file and check its labels against the task. ``setting`` names the
    config field of ``path`` in errors (``seeds.path``, ``evaluation.test_path``)."""
    from synthesizrr.corpus import read_labeled

    table = read_labeled(
        path, base_dir=cfg.base_dir, text_field=text_field, label_field=label_field,
        setting=setting,
    )  # fmt: skip
    labels = set(cfg.task.label_names)
    found = table.column("label").to_pylist()
    unknown = sorted({str(x) for x in found} - labels)
    if unknown:
        raise InputDataError(
            f"{what} '{path}': label(s) {unknown[:5]} in column '{label_field}' are not in the "
            f"task's labels {sorted(labels)}.",
            fix="fix the file, or map the labels in task.labels (names must match exactly)",
        )
    return table


def _texts_labels(table: Any) -> Labeled:
    return (
        [str(t) for t in table.column("text").to_pylist()],
        [str(x) for x in table.column("label").to_pylist()],
    )


def sample_seeds(cfg: RunConfig) -> tuple[list[dict[str, Any]], list[str]]:
    """``seeds.per_label`` seed rows per task label, drawn with the run seed, in file order;
    and a warning for each label with fewer examples than that."""
    table = load_labeled(
        cfg, cfg.seeds.path, cfg.seeds.text_field, cfg.seeds.label_field, "seeds",
        setting="seeds.path",
    )  # fmt: skip
    texts = table.column("text").to_pylist()
    labels = [str(x) for x in table.column("label").to_pylist()]
    lines = table.column("line").to_pylist()
    rng = random.Random(cfg.seed)
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    for label in cfg.task.label_names:
        idx = [i for i, lab in enumerate(labels) if lab == label]
        if not idx:
            raise InputDataError(
                f"seeds '{cfg.seeds.path}': no example of label '{label}'.",
                fix="add examples of every task label to the seed file",
            )
        chosen = sorted(rng.sample(idx, min(cfg.seeds.per_label, len(idx))))
        if len(idx) < cfg.seeds.per_label:
            warnings.append(f"label '{label}': seeds.per_label asks for {cfg.seeds.per_label} "
                            f"seeds, '{cfg.seeds.path}' has only {len(idx)} (all used)")  # fmt: skip
        rows += [
            {"seed_id": f"seed-{lines[i]}", "text": texts[i], "label": label, "line": lines[i]}
            for i in chosen
        ]
    return rows, warnings


def real_train(cfg: RunConfig) -> Labeled:
    """The real train set (for the oracle, the gold student and the target distribution):
    ``evaluation.train_path``, else the seed file."""
    ev = cfg.evaluation
    path = ev.train_path or cfg.seeds.path
    label_field = ev.label_field or cfg.seeds.label_field
    text_field = ev.text_field if ev.train_path else cfg.seeds.text_field
    setting = "evaluation.train_path" if ev.train_path else "seeds.path"
    return _texts_labels(
        load_labeled(cfg, path, text_field, label_field, "train set", setting=setting)
    )


def train_signature(cfg: RunConfig) -> Any:
    """The real train set's path, label column and file signature (refine and evaluate
    read it)."""
    ev = cfg.evaluation
    path = ev.train_path or cfg.seeds.path
    return {"path": path, "files": files_signature(cfg.resolve(path)),
            "label_field": ev.label_field or cfg.seeds.label_field}  # fmt: skip


def real_test(cfg: RunConfig) -> Labeled | None:
    """The real test set (a seeded sample of ``evaluation.max_test`` rows), or None."""
    ev = cfg.evaluation
    if not ev.test_path:
        return None
    label_field = ev.label_field or cfg.seeds.label_field
    texts, labels = _texts_labels(
        load_labeled(
            cfg,
            ev.test_path,
            ev.text_field,
            label_field,
            "test set",
            setting="evaluation.test_path",
        )  # fmt: skip
    )
    if ev.max_test and len(texts) > ev.max_test:
        idx = sorted(random.Random(cfg.seed).sample(range(len(texts)), ev.max_test))
        texts, labels = [texts[i] for i in idx], [labels[i] for i in idx]
    return texts, labels
