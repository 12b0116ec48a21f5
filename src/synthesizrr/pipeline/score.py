"""Score any dataset file (made by synthesizrr or another tool) like the evaluate stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.pipeline.evaluate import score_dataset
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stages import StageContext, load_labeled


def score_file(cfg: RunConfig, path: Path, *, progress: bool = False) -> dict[str, Any]:
    table = load_labeled(cfg, str(path.resolve()), "text", "label", "dataset", setting="--dataset")
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    ctx = StageContext(cfg, RunDir(cfg.run_path), progress=progress)
    result = score_dataset(ctx, texts, labels, doc_ids=None)
    result["source"] = str(path)
    return result
