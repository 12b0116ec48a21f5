"""bench/paper/claims.py: several study files pooled, each dataset once at its largest N."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "paper"))

import claims  # noqa: E402


def _entry(dataset: str, method: str, rows: int, acc: float, **extra: object) -> dict:
    return {"dataset": dataset, "method": method, "status": "done", "rows": rows,
            "student_accuracy": acc, "student_accuracy_sd": 0.01, **extra}  # fmt: skip


def _write(path: Path, entries: list[dict]) -> Path:
    path.write_text(json.dumps(entries), "utf-8")
    return path


def test_each_dataset_comes_from_the_file_with_the_largest_n(tmp_path: Path) -> None:
    small = _write(tmp_path / "small.json", [
        _entry("ag_news", "retricl_3", 88, 0.10), _entry("ag_news", "fewgen_32", 88, 0.10),
    ])  # fmt: skip
    large = _write(tmp_path / "large.json", [
        _entry("ag_news", "retricl_3", 196, 0.80, uplift_vs_seeds_only=0.025,
               uplift_vs_seeds_only_ci=[0.011, 0.04], seeds_only_accuracy=0.829,
               signatures={"student": "kind:embed_lr|model:minilm|C:1|cw:balanced|seed:0"}),
        _entry("ag_news", "fewgen_32", 196, 0.75),
        _entry("ag_news", "gold", 196, 0.84),
        _entry("sst2", "retricl_3", 279, 0.70, uplift_vs_seeds_only=0.004,
               uplift_vs_seeds_only_ci=[-0.013, 0.021], real_uplift_vs_seeds_only=0.008,
               real_uplift_vs_seeds_only_ci=[-0.002, 0.019]),
    ])  # fmt: skip
    entries, sources = claims.pool([small, large])
    assert sources == {"ag_news": str(large), "sst2": str(large)}
    assert sorted((e["dataset"], e["rows"]) for e in entries) == [
        ("ag_news", 196),
        ("ag_news", 196),
        ("ag_news", 196),
        ("sst2", 279),
    ]
    records = {r["dataset"]: r for r in claims.per_dataset(entries)}
    ag = records["ag_news"]
    assert ag["student"] == "C 1, balanced"
    assert ag["student_over_gold"] == pytest.approx(0.952, abs=1e-3)
    assert ag["student_accuracy_diff"] == pytest.approx(0.05)
    half = 1.959964 * (2 * 0.01**2) ** 0.5
    assert ag["student_accuracy_diff_ci"] == pytest.approx([0.05 - half, 0.05 + half], abs=1e-4)
    assert records["sst2"]["student"] == "C ?, unweighted"  # no signature: an older run
    text = claims.markdown(entries, sources, [small, large])
    assert "excludes zero on 1 of 2 datasets: ag_news." in text
    assert "| ag_news | 196 | – | C 1, balanced | 0.829 | +2.5 [+1.1, +4.0] | – | not run |" in text
    assert "| +0.4 [-1.3, +2.1] | – | +0.8 [-0.2, +1.9] | – |" in text  # sst2: the ceiling


def test_a_file_that_is_not_a_results_list_stops_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}', "utf-8")
    with pytest.raises(SystemExit, match="bad.json: expected a JSON list"):
        claims.pool([bad])
