from __future__ import annotations

from pathlib import Path

import pytest
from report_fakes import make_fake_run
from rich.console import Console

from synthesizrr.errors import RunDirError
from synthesizrr.report import compare_runs


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = make_fake_run(tmp_path, name="retricl_run")
    b = make_fake_run(
        tmp_path, name="fewgen_run", mode="fewgen", student=False,
        self_bleu=(0.9, 0.8, 0.7, 0.6, 0.5), entity_entropy=5.0,
    )  # fmt: skip
    return a, b


def test_rows_hold_raw_numbers(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    cmp = compare_runs([a, b])
    assert [r["run"] for r in cmp.rows] == ["retricl_run", "fewgen_run"]
    ra, rb = cmp.rows
    assert {k: ra[k] for k in ("mode", "size", "student_accuracy_mean", "student_accuracy_std",
                                "student_macro_f1_mean", "gold_accuracy_mean", "self_bleu_4",
                                "self_bleu_5", "entity_entropy", "mauve", "label_preservation",
                                "tokens", "wall_seconds")} == {  # fmt: skip
        "mode": "retricl", "size": 16, "student_accuracy_mean": 0.825,
        "student_accuracy_std": 0.0125, "student_macro_f1_mean": 0.8213,
        "gold_accuracy_mean": 0.9, "self_bleu_4": 0.21, "self_bleu_5": 0.15,
        "entity_entropy": 7.25, "mauve": 0.61, "label_preservation": 0.75,
        "tokens": 22 * 120, "wall_seconds": 70.0,
    }  # fmt: skip
    assert ra["notes"] == []
    assert rb["student_accuracy_mean"] is None and rb["gold_accuracy_mean"] is None
    assert rb["notes"] == ["gold skipped: no evaluation.test_path",
                           "student skipped: no evaluation.test_path"]  # fmt: skip
    assert rb["wall_seconds"] == 40.0  # fewgen: no corpus/index/retrieve stages


def test_best_values_and_markdown(two_runs: tuple[Path, Path]) -> None:
    cmp = compare_runs(list(two_runs))
    # ties (MAUVE, label preservation) and single values (student) are not marked
    assert cmp.best() == {"self_bleu_4": {0}, "self_bleu_5": {0}, "entity_entropy": {0}}
    md = cmp.to_markdown().splitlines()
    assert md[0] == (
        "| Run | Mode | Size | Student acc. % ↑ | Student macro-F1 % ↑ | Seeds-only acc. % | "
        "Seeds + synth. acc. % ↑ | Uplift vs seeds, pts [95% CI] ↑ | Seeds + real acc. % | "
        "Gold acc. % | "
        "Self-BLEU-4 ↓ | Self-BLEU-5 ↓ | Entity entropy ↑ | MAUVE ↑ | Label pres. % ↑ | "
        "Tokens | Wall time |"
    )
    assert md[2] == (
        "| retricl_run | retricl | 16 | 82.5 ± 1.2 | 82.1 ± 1.1 | 70.0 | 85.0 | +15.0 [+8.0, +22.0] "
        "| n/a | 90.0 | **0.210** | **0.150** "
        "| **7.25** | 0.610 | 75.0 | 2,640 | 70 s |"
    )
    assert md[3] == (
        "| fewgen_run | fewgen | 16 | n/a | n/a | n/a | n/a | n/a | n/a | n/a | 0.600 | 0.500 | 5.00 "
        "| 0.610 | 75.0 "
        "| 2,640 | 40 s |"
    )
    assert len(md) == 4


def test_rich_table(two_runs: tuple[Path, Path]) -> None:
    table = compare_runs(list(two_runs)).to_rich_table()
    assert len(table.columns) == 17 and table.row_count == 2
    console = Console(width=250, record=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert "retricl_run" in text and "82.5 ± 1.2" in text and "n/a" in text
    assert "[bold" not in text


def test_missing_run_dir(tmp_path: Path, two_runs: tuple[Path, Path]) -> None:
    with pytest.raises(RunDirError, match=r"compare: run directory '.*nope' does not exist"):
        compare_runs([two_runs[0], tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match="has no manifest.json"):
        compare_runs([tmp_path / "empty"])
    assert len(compare_runs([two_runs[0], tmp_path / "nope"], missing_ok=True).rows) == 1


def test_run_without_metrics(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    (run / "metrics.json").unlink()
    (run / "07_evaluate" / "metrics.json").unlink()
    row = compare_runs([run]).rows[0]
    assert row["size"] == 16  # from the refine stage summary
    assert row["self_bleu_4"] is None and row["mauve"] is None
    assert row["notes"] == ["07_evaluate/metrics.json is missing"]


def test_compare_warns_when_runs_differ_in_size(tmp_path: Path) -> None:
    a = make_fake_run(tmp_path, name="big", rows_per_label=5)
    b = make_fake_run(tmp_path, name="small", rows_per_label=3)
    assert compare_runs([a, a]).warnings() == []
    assert compare_runs([a, b]).warnings() == [
        "runs were scored at different sizes (N: big 16, small 12); Self-BLEU, entity entropy "
        "and the student move with N: set evaluation.size to one N for every run"
    ]
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "synthesizrr.cli", "compare", "--markdown",
                           str(a), str(b)], capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(
        "Warning: runs were scored at different sizes (N: big 16, small 12)"
    )
    assert "| big |" in proc.stdout


def test_deterministic_student_shows_its_bootstrap_interval(tmp_path: Path) -> None:
    import json

    run = make_fake_run(tmp_path, name="boot")
    for name in ("metrics.json", "07_evaluate/metrics.json"):
        path = run / name
        if path.exists():
            data = json.loads(path.read_text("utf-8"))
            data["student"].update(accuracy_std=None, macro_f1_std=None,
                                   accuracy_ci=[0.8, 0.85], macro_f1_ci=[0.79, 0.84])  # fmt: skip
            path.write_text(json.dumps(data), "utf-8")
            data["metrics"]["label_preservation"]["details"]["oracle_accuracy"] = 0.875
            path.write_text(json.dumps(data), "utf-8")
    cmp = compare_runs([run])
    assert cmp.cells()[0][14] == "75.0 (oracle 87.5)"  # after the seeds-baseline columns
    assert cmp.rows[0]["student_accuracy_ci"] == [0.8, 0.85]
    assert cmp.cells()[0][3:5] == ["82.5 [80.0, 85.0]", "82.1 [79.0, 84.0]"]
    from synthesizrr.report import render_report

    assert "82.5 % (95% CI 80.0–85.0)" in render_report(run)
