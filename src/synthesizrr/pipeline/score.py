"""Score any dataset file (made by synthesizrr or another tool) like the evaluate stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.pipeline.data import load_labeled
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import StageContext
from synthesizrr.pipeline.stages.evaluate import score_dataset


def score_file(cfg: RunConfig, path: Path, *, progress: bool = False) -> dict[str, Any]:
    table = load_labeled(cfg, str(path.resolve()), "text", "label", "dataset", setting="--dataset")
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    with StageContext(cfg, RunDir(cfg.run_path), progress=progress) as ctx:
        result = score_dataset(ctx, texts, labels, doc_ids=None)
    result["source"] = str(path)
    return result
