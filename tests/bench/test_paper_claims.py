"""The study's claims table counts a claim only where the difference's interval excludes 0."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "paper"))

import collect  # noqa: E402

from synthesizrr.metrics.intervals import Z95  # noqa: E402


def _entry(dataset: str, method: str, acc: float, sd: float, rows: int = 300) -> dict:
    return {"dataset": dataset, "method": method, "status": "done", "rows": rows,
            "student_accuracy": acc, "student_accuracy_sd": sd}  # fmt: skip


def test_differences_to_fewgen_32_and_their_intervals() -> None:
    entries = [
        _entry("ag_news", "fewgen_32", 0.70, 0.01),
        _entry("ag_news", "retricl_3", 0.75, 0.02),
    ]
    collect.add_differences(entries)
    ours = entries[1]
    assert ours["student_accuracy_diff_vs_fewgen_32"] == 0.05
    half = Z95 * (0.01**2 + 0.02**2) ** 0.5
    assert ours["student_accuracy_diff_vs_fewgen_32_ci"] == pytest.approx(
        [round(0.05 - half, 4), round(0.05 + half, 4)]
    )
    assert entries[0]["student_accuracy_diff_vs_fewgen_32_ci"] is None
    assert ours["self_bleu_5_diff_vs_fewgen_32_ci"] is None  # no value: no difference


def test_claims_count_held_unclear_reversed_and_leave_out_majority_datasets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shares = {"ag_news": 0.25, "sst2": 0.5, "imdb": 0.5}
    monkeypatch.setattr(collect, "majority_share", lambda d: shares[d])
    entries = [
        _entry("ag_news", "fewgen_32", 0.70, 0.01), _entry("ag_news", "retricl_3", 0.80, 0.01),
        _entry("ag_news", "gold", 0.85, 0.01),
        _entry("sst2", "fewgen_32", 0.70, 0.05), _entry("sst2", "retricl_3", 0.72, 0.05),
        _entry("sst2", "gold", 0.80, 0.01),
        _entry("imdb", "fewgen_32", 0.50, 0.01), _entry("imdb", "retricl_3", 0.40, 0.01),
        _entry("imdb", "gold", 0.505, 0.01),
    ]  # fmt: skip
    table = collect.claims_table(entries)
    row = next(line for line in table.splitlines() if "RETRICL 3-shot vs FewGen 32-shot" in line)
    # student_accuracy is the first metric column: ag_news holds, sst2 cannot be told,
    # imdb (gold at the majority class) is left out.
    assert row.split("|")[2].strip() == "1 / 1 / 0"
    assert "imdb (gold student 0.505 vs majority class 0.500)" in table
    # a comparison no dataset ran is "not run", never "0 / 0 / 0"
    nonretricl = next(line for line in table.splitlines() if "nonretricl_32" in line)
    assert nonretricl.split("|")[2].strip() == "not run"


def test_generate_seconds_are_the_ledgers_after_a_replay_and_the_stages_before() -> None:
    replayed = {"seconds": 0.3, "summary": {"teacher_seconds": 2626.4}}
    assert collect.generate_seconds(replayed) == 2626.4
    # a cache from before the ledger kept seconds: the stage's wall time is all there is
    old = {"seconds": 812.0, "summary": {"teacher_seconds": 40.0, "untimed_responses": 3}}
    assert collect.generate_seconds(old) == 812.0
    assert collect.generate_seconds({"seconds": 5}) == 5.0
    assert collect.generate_seconds({}) is None
