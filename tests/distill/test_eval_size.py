"""evaluation.size: every method of a comparison is scored at one N (issue #15 item 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthesizrr.config import config_from_dict
from synthesizrr.distill import downsample_indices
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import StageContext
from synthesizrr.pipeline.stages.evaluate import score_dataset


def test_downsample_keeps_label_shares_and_is_seeded() -> None:
    labels = ["a"] * 22 + ["b"] * 22 + ["c"] * 23 + ["d"] * 22  # 89 rows
    idx, counts = downsample_indices(labels, 60, 0, ["a", "b", "c", "d"])
    assert counts == {"a": 15, "b": 15, "c": 15, "d": 15}
    assert len(idx) == 60 and idx == sorted(idx)
    assert [labels[i] for i in idx].count("c") == 15
    assert downsample_indices(labels, 60, 0, ["a", "b", "c", "d"]) == (idx, counts)
    assert downsample_indices(labels, 60, 1, ["a", "b", "c", "d"])[0] != idx
    # another method's 79 rows meet the first at the same counts
    other = ["a"] * 20 + ["b"] * 20 + ["c"] * 20 + ["d"] * 19
    assert downsample_indices(other, 60, 0, ["a", "b", "c", "d"])[1] == counts


def test_downsample_larger_than_the_data_keeps_every_row() -> None:
    assert downsample_indices(["a", "b", "a"], 5, 0, ["a", "b"]) == ([0, 1, 2], {"a": 2, "b": 1})


def _ctx(tmp_path: Path, size: int | None) -> StageContext:
    (tmp_path / "train.csv").write_text(
        "text,label\n" + "".join(f"real {i} text here,{'ab'[i % 2]}\n" for i in range(10))
    )
    raw: dict[str, Any] = {
        "name": "sized", "run_dir": str(tmp_path / "runs"),
        "task": {"labels": {"a": "about a", "b": "about b"}, "instruction": "Write {label}."},
        "seeds": {"path": "train.csv", "per_label": 2},
        "generation": {"prompt": {"mode": "fewgen"}},
        "evaluation": {"size": size, "metrics": {"metrics": ["distinct_n"]}},
    }  # fmt: skip
    cfg = config_from_dict(raw, base_dir=tmp_path)
    return StageContext(cfg, RunDir(cfg.run_path))


def test_score_dataset_scores_the_sized_sample(tmp_path: Path) -> None:
    texts = [f"synthetic text number {i}" for i in range(30)]
    labels = ["a"] * 20 + ["b"] * 10
    result = score_dataset(_ctx(tmp_path, 12), texts, labels, None)
    assert result["size"] == 12 and result["size_requested"] == 12
    assert result["size_before"] == 30
    assert result["per_label"] == {"a": 8, "b": 4}
    assert result["metrics"]["distinct_n"]["details"]["total_1"] == 12 * 4  # 4 words a text
    unsized = score_dataset(_ctx(tmp_path, None), texts, labels, None)
    assert unsized["size"] == 30 and "size_requested" not in unsized
    json.dumps(result)
