"""The evaluate stage's seeds-only baseline on a real pipeline run with the fake teacher."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from synthesizrr.api import run
from synthesizrr.config import RunConfig, config_from_dict
from synthesizrr.distill import StudentSettings, sample_like, train_and_evaluate
from synthesizrr.distill.baselines import (
    choose_synthetic_weight,
    real_ceiling_sentence,
    seeds_baseline,
)
from synthesizrr.pipeline.score import score_file

WORDS = {
    "sports": ["match", "team", "goal", "league", "coach", "player", "season", "score"],
    "business": ["market", "shares", "profit", "company", "bank", "investor", "trade", "price"],
}


def _csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)


def _project(root: Path, **evaluation: Any) -> RunConfig:
    """The config of a toy project in ``root``; its seed and test files are written once."""
    rng = random.Random(0)

    def rows(n: int) -> list[tuple[str, str]]:
        return [(" ".join(rng.choice(ws) for _ in range(6)), lab)
                for lab, ws in WORDS.items() for _ in range(n)]  # fmt: skip

    if not (root / "seeds.csv").exists():
        _csv(root / "seeds.csv", rows(6))
        _csv(root / "test.csv", rows(30))
    raw = {
        "name": "toy",
        "run_dir": str(root / "runs"),
        "task": {"labels": {"sports": "sports news", "business": "business news"},
                 "instruction": "Write a short news summary about {label_description}."},
        "seeds": {"path": "seeds.csv", "per_label": 3},
        "generation": {"per_label": 8, "prompt": {"mode": "fewgen", "shots": 2},
                       "llm": {"backend": "fake"}},
        "refine": {"cartography": {"enabled": False}, "near_dup": False,
                   "label_check": {"enabled": False}},  # every fake row reaches the student
        "evaluation": {"test_path": "test.csv", "student": {"kind": "tfidf_lr", "seeds": [0, 1]},
                       "metrics": {"metrics": ["distinct_n"]}, **evaluation},
    }  # fmt: skip
    return config_from_dict(raw, base_dir=root)


def _read(path: Path) -> tuple[list[str], list[str]]:
    t = pq.read_table(path, columns=["text", "label"])
    return [str(x) for x in t.column("text").to_pylist()], [
        str(x) for x in t.column("label").to_pylist()
    ]


def _timeless(report: dict[str, Any]) -> dict[str, Any]:
    """The baseline without wall times (the only numbers that differ between two fits)."""
    out = dict(report)
    for key in ("seeds_only", "seeds_plus_synthetic", "seeds_plus_real"):
        if report.get(key) is None:
            continue
        per_seed = [{k: v for k, v in s.items() if k != "train_seconds"}
                    for s in report[key]["per_seed"]]  # fmt: skip
        out[key] = {**report[key], "per_seed": per_seed}
    return out


def test_metrics_json_holds_the_same_numbers_as_the_library(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    handle = run(cfg)
    m = handle.metrics
    base = m["seeds_baseline"]
    # recompute from the run's own files: the drawn seeds (3 of 6 per label), the final rows
    seeds = _read(handle.stage_path("seeds", "seeds.parquet"))
    synthetic = _read(handle.stage_path("refine", "dataset.parquet"))
    with (tmp_path / "test.csv").open(encoding="utf-8") as fh:
        test_rows = list(csv.DictReader(fh))
    test = ([r["text"] for r in test_rows], [r["label"] for r in test_rows])
    student = StudentSettings(kind="tfidf_lr", seeds=[0, 1])
    labels = ["sports", "business"]
    preds: list[np.ndarray] = []
    train_and_evaluate(student, *synthetic, *test, labels=labels, predictions=preds)
    # the ceiling: seeds + real train rows that are not seeds (the seed file is the train
    # set here: 6 per label, 3 drawn as seeds, so 3 per label are left of the 8 asked)
    drawn = set(seeds[0])
    with (tmp_path / "seeds.csv").open(encoding="utf-8") as fh:
        real_rows = [r for r in csv.DictReader(fh) if r["text"] not in drawn]
    real = sample_like([r["text"] for r in real_rows], [r["label"] for r in real_rows],
                       {"sports": 8, "business": 8}, 0)  # fmt: skip
    assert len(real[0]) == 6 and not drawn & set(real[0])
    expected = seeds_baseline(student, seeds, synthetic, test, labels=labels,
                              synthetic_predictions=preds, real=real, seed=0)  # fmt: skip
    assert _timeless(base) == _timeless(expected.to_dict())
    assert base["seeds_plus_real"]["n_train"] == 6 + 6
    assert base["verdict"].endswith(
        real_ceiling_sentence(
            base["real_uplift_vs_seeds_only"], tuple(base["real_uplift_vs_seeds_only_ci"]), 6
        )  # fmt: skip
    )
    assert len(seeds[0]) == 6 and base["seeds_only"]["n_train"] == 6
    assert base["seeds_plus_synthetic"]["n_train"] == 6 + m["size"] == 6 + 16
    assert base["synthetic_only_accuracy"] == m["student"]["accuracy_mean"]
    assert base["interval"] == (
        "95% paired bootstrap over the 60 test rows (1000 resamples); training rows fixed"
    )
    summary = handle.manifest["stages"]["evaluate"]["summary"]
    for key in ("seeds_only_accuracy", "seeds_plus_synthetic_accuracy", "uplift_vs_seeds_only",
                "real_uplift_vs_seeds_only"):  # fmt: skip
        assert summary[key] == round(base[key], 4)
    # `evaluate --dataset FILE` scores a file against the same seeds
    scored = score_file(cfg, handle.dataset_path / "train.parquet")
    assert _timeless(scored["seeds_baseline"]) == _timeless(base)


def test_switched_off_it_is_absent_and_only_evaluate_reruns(tmp_path: Path) -> None:
    run(_project(tmp_path))
    events: list[tuple[str, str]] = []
    handle = run(_project(tmp_path, seeds_baseline=False),
                 on_event=lambda s, st, _: events.append((s, st)))  # fmt: skip
    assert [s for s, st in events if st == "done"] == ["evaluate", "report"]
    assert "seeds_baseline" not in handle.metrics
    assert "uplift_vs_seeds_only" not in handle.manifest["stages"]["evaluate"]["summary"]


def test_the_real_ceiling_switched_off_is_absent_and_only_evaluate_reruns(tmp_path: Path) -> None:
    first = run(_project(tmp_path))
    assert first.metrics["seeds_baseline"]["seeds_plus_real_accuracy"] is not None
    events: list[tuple[str, str]] = []
    handle = run(_project(tmp_path, real_ceiling=False),
                 on_event=lambda s, st, _: events.append((s, st)))  # fmt: skip
    assert [s for s, st in events if st == "done"] == ["evaluate", "report"]
    base = handle.metrics["seeds_baseline"]
    assert base["seeds_plus_real"] is None and base["real_uplift_vs_seeds_only"] is None
    assert "real rows" not in base["verdict"]
    # the same numbers otherwise
    keep = ("seeds_only_accuracy", "seeds_plus_synthetic_accuracy", "uplift_vs_seeds_only")
    assert {k: base[k] for k in keep} == {k: first.metrics["seeds_baseline"][k] for k in keep}


def test_an_auto_weight_is_chosen_on_the_seeds_and_recorded(tmp_path: Path) -> None:
    run(_project(tmp_path))
    events: list[tuple[str, str]] = []
    handle = run(_project(tmp_path, synthetic_weight="auto"),
                 on_event=lambda s, st, _: events.append((s, st)))  # fmt: skip
    assert [s for s, st in events if st == "done"] == ["evaluate", "report"]
    choice = handle.metrics["seeds_baseline"]["synthetic_weight"]
    seeds = _read(handle.stage_path("seeds", "seeds.parquet"))
    synthetic = _read(handle.stage_path("refine", "dataset.parquet"))
    expected = choose_synthetic_weight(StudentSettings(kind="tfidf_lr", seeds=[0, 1]), seeds,
                                       synthetic, labels=["sports", "business"], seed=0)  # fmt: skip
    assert choice == expected.model_dump(mode="json")
    assert choice["method"] == "cross_validated" and choice["folds"] == 3
    assert set(choice["cv_log_loss"]) == {"0", "0.1", "0.25", "0.5", "1"}
    # the default: every synthetic row weighs as much as a seed
    plain = run(_project(tmp_path, synthetic_weight=1.0))
    assert plain.metrics["seeds_baseline"]["synthetic_weight"] == {
        "weight": 1.0, "method": "fixed", "folds": None, "cv_accuracy": None,
        "cv_log_loss": None, "reason": None,
    }  # fmt: skip
