"""Text metrics of the gold reference (the real train rows its student was trained on).

The evaluate stage of every run already trains the gold student; this adds Self-BLEU,
entity entropy, MAUVE ... of those same real rows (same seeded draw: ``sample_like`` with
the run seed and the run's label counts), so the table shows what real data scores.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from collect import CI_METRICS
from study import METHODS

log = logging.getLogger("bench.paper")


def gold_text_metrics(folder: Path) -> dict[str, Any] | None:
    """Write ``<folder>/gold_metrics.json`` for the dataset's gold sample; return it."""
    from synthesizrr.api import open_run
    from synthesizrr.config import config_from_dict
    from synthesizrr.distill import sample_like
    from synthesizrr.metrics import compute_metrics
    from synthesizrr.pipeline.data import real_test, real_train

    order = ["retricl_3", *[m for m in METHODS if m != "retricl_3"]]
    source = next(
        (m for m in order if (folder / m / "metrics.json").exists()
         and "gold" in open_run(folder / m).metrics),
        None,
    )  # fmt: skip
    if source is None:
        return None
    run = open_run(folder / source)
    gold = run.metrics["gold"]
    out = folder / "gold_metrics.json"
    if out.exists():
        old = json.loads(out.read_text("utf-8"))
        same = old.get("source") == source and old.get("label_counts") == gold["train_label_counts"]
        if same and "self_bleu_5_ci" in old:
            return dict(old)
    cfg = config_from_dict(run.manifest["config"], source=str(folder / source / "manifest.json"))
    train_texts, train_labels = real_train(cfg)
    texts, labels = sample_like(train_texts, train_labels, gold["train_label_counts"], cfg.seed)
    test = real_test(cfg)
    metrics = compute_metrics(
        cfg.evaluation.metrics, texts, labels,
        real_texts=test[0] if test else None, real_labels=test[1] if test else None,
        train_texts=train_texts, train_labels=train_labels,
    )  # fmt: skip

    def detail(name: str, key: str) -> Any:
        return metrics[name].details.get(key) if name in metrics else None

    result = {
        "source": source,
        "label_counts": gold["train_label_counts"],
        "n": len(texts),
        "self_bleu_4": detail("self_bleu", "4"),
        "self_bleu_5": detail("self_bleu", "5"),
        "distinct_2": detail("distinct_n", "2"),
        "entity_entropy": metrics["entity_entropy"].value if "entity_entropy" in metrics else None,
        "entity_entropy_per_type": detail("entity_entropy", "per_type"),
        "entity_counts_per_type": detail("entity_entropy", "per_type_counts"),
        "mauve": metrics["mauve"].value if "mauve" in metrics else None,
        # The oracle is trained on the train set these rows come from: an upper bound.
        "label_preservation": (
            metrics["label_preservation"].value if "label_preservation" in metrics else None
        ),
        "signatures": {k: m.signature for k, m in metrics.items()},
    }
    for key, name in CI_METRICS:
        m = metrics.get(name)
        result[f"{key}_ci"] = m.ci if m is not None else None
        result[f"{key}_sd"] = (m.details.get("bootstrap") or {}).get("sd") if m else None
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    log.info("%s: gold text metrics over %d real rows", folder.name, len(texts))
    return result
