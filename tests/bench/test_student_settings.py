"""bench/distill/student_settings.py: accuracies, uplift and paired differences per setting."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "distill"))

import student_settings  # noqa: E402


def _rows(synthetic: list[int], gold: list[int], seeds: list[int], both: list[int]) -> dict:
    return {k: np.asarray(v, dtype=float) for k, v in
            zip(student_settings.STUDENTS, (synthetic, gold, seeds, both), strict=True)}  # fmt: skip


def test_summarize_reports_uplift_and_differences_to_the_first_setting() -> None:
    correct = {
        "ref": _rows([1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]),
        "other": _rows([1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]),
    }
    out = student_settings.summarize(correct, seed=0)
    ref, other = out["ref"], out["other"]
    assert ref["synthetic"] == 0.25 and ref["gold"] == 0.5 and ref["student_over_gold"] == 0.5
    assert ref["uplift"] == pytest.approx(0.25)
    assert "synthetic_diff_vs_default" not in ref  # the reference has no difference to itself
    assert other["synthetic_diff_vs_default"] == pytest.approx(0.5)
    assert other["gold_diff_vs_default"] == 0.0
    assert other["gold_diff_vs_default_ci"] == [0.0, 0.0]  # identical rows: no spread
    # uplift 0.75 against the reference's 0.25
    assert other["uplift"] == pytest.approx(0.75)
    assert other["uplift_diff_vs_default"] == pytest.approx(0.5)
    lo, hi = other["uplift_diff_vs_default_ci"]
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0


def test_markdown_counts_intervals_above_and_below_zero() -> None:
    correct = {
        student_settings._key(c, cw): _rows(
            [1] * 50 + [0] * 50, [1] * 60 + [0] * 40, [1] * 50 + [0] * 50, [1] * 55 + [0] * 45
        )
        for c, cw in student_settings.GRID
    }
    # the second setting gets 20 more test rows right alone: its interval is above zero
    second = student_settings._key(*student_settings.GRID[1])
    correct[second]["synthetic"] = np.asarray([1.0] * 70 + [0.0] * 30)
    entry = {"run": "/x/ag_news/retricl_3", "synthetic_rows": 10,
             "synthetic_per_label": {"a": 6, "b": 4},
             "settings": student_settings.summarize(correct, seed=0)}  # fmt: skip
    md = student_settings.markdown([entry], "python bench/distill/student_settings.py X")
    assert "| ag_news/retricl_3 | 10 (6 / 4) | C=1, cw=none | 0.500 | 0.600 | 0.833 |" in md
    assert f"- {second}: synthetic +20.0 (1 above, 0 below); gold +0.0 (0 above, 0 below)" in md
