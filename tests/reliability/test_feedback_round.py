"""``generation.feedback_rounds``: a round inside the generate stage spends its budget on
documents not used yet, never touches the held-out seeds, is recorded in the manifest and
the report, and resumes after SIGKILL without resending an answered request."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import (
    TOPICS,
    base_config,
    corpus_docs,
    error_line,
    ledger,
    make_project,
    run_cli,
    seed_rows,
    slowfake,
    start_cli,
    table_rows,
    write_corpus,
    write_seeds,
)

from synthesizrr.config import load_config
from synthesizrr.llm.registry import register_backend
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest
from synthesizrr.pipeline import runner
from synthesizrr.testing import FakeEmbedder, FakeLLM, fake_embeddings

FIRST = 8  # 2 labels x per_label 4
BUDGET = 4


def _topics(text: str) -> list[float]:
    words = text.lower().split()
    return [sum(w in TOPICS["sports"] for w in words), sum(w in TOPICS["business"] for w in words),
            1.0]  # fmt: skip


class _Echo(FakeLLM):
    """A teacher that writes the topic words of the document it is shown (the prompt's last
    message): rows read as their document's topic."""

    name = "echo"

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> FakeLLM:
        return cls(_echo)


def _echo(request: LLMRequest) -> str:
    last = request.messages[-1].content if request.messages else str(request.prompt)
    topical = {w for words in TOPICS.values() for w in words}
    words = [w.strip(".") for w in last.split() if w.strip(".") in topical]
    return "The news: " + " ".join(words[-10:]) + "."


def _project(root: Path, *, feedback: bool = True, **llm: Any) -> Path:
    raw = base_config(**llm)
    raw["retrieval"]["top_k"] = 20
    raw["generation"]["per_label"] = 4
    if feedback:
        raw["generation"].update(feedback_rounds=1, feedback_budget=BUDGET)
    cfg = make_project(root, raw)
    write_corpus(root / "corpus.jsonl", corpus_docs(120))
    rows = seed_rows()
    # a business seed that reads as sports: held out, the student gets it wrong
    rows[-1] = ("the coach of the team said the season of the league was a profit", "business")
    write_seeds(root / "seeds.csv", rows)
    return cfg


def _generated(run: Path) -> list[dict[str, Any]]:
    rows = table_rows(run / "05_generate" / "generations.parquet")
    return rows + table_rows(run / "05_generate" / "dropped.parquet")


def test_a_round_spends_its_budget_on_unused_documents_away_from_held_out_seeds(
    tmp_path: Path,
) -> None:
    register_backend("echo", _Echo)
    cfg_path = _project(tmp_path, backend="echo")
    os.chdir(tmp_path)
    cfg = load_config(cfg_path)
    with fake_embeddings(FakeEmbedder(3, features=_topics)):
        estimate = runner.execute(cfg, dry_run=True).estimate
        assert estimate is not None
        assert (estimate["requests"], estimate["feedback_requests_not_counted"]) == (FIRST, BUDGET)
        runner.execute(cfg, until="generate")
        run = tmp_path / "runs" / "r"
        manifest = json.loads((run / "manifest.json").read_text("utf-8"))
        summary = manifest["stages"]["generate"]["summary"]
        fb = summary["feedback"]
        assert summary["planned"] == FIRST + BUDGET
        assert {k: v for k, v in fb.items() if k != "per_round"} == {
            "rounds": 1, "budget_per_round": 4, "heldout_seeds": 4, "heldout_fraction": 0.4,
            "smoothing": 0.0, "student": "embed_lr:minilm", "accuracy_before": 0.75,
            "accuracy_after": 0.75,
        }  # fmt: skip
        assert fb["per_round"] == [{
            "round": 1, "accuracy": 0.75, "errors": {"sports": 0, "business": 1},
            "confused_pairs": [["business", "sports", 1]], "allocated": {"sports": 0, "business": 4},
            "planned": 4, "kept": 4, "accuracy_after": 0.75,
        }]  # fmt: skip
        rows = _generated(run)
        seeds = table_rows(run / "01_seeds" / "seeds.parquet")
        in_run = {r["seed_id"] for r in rows}
        held = {s["seed_id"] for s in seeds} - in_run
        assert len(held) == 4 and len(in_run) == 4
        shot_seeds = {s.split("|")[0] for r in rows for s in r["shot_ids"]}
        assert not shot_seeds & held  # held-out seeds are neither queries nor shots
        first = [r for r in rows if r["feedback_round"] == 0]
        extra = [r for r in rows if r["feedback_round"] == 1]
        assert (len(first), len(extra)) == (FIRST, BUDGET)
        assert {r["label"] for r in extra} == {"business"}
        assert not {r["passage_id"] for r in extra} & {r["passage_id"] for r in first}

        runner.execute(cfg, until="generate", force=["generate"])  # the same settings again
        assert _generated(run) == rows
    keys = ledger(run)
    assert len(keys) == FIRST + BUDGET
    assert {(r["status"], r["attempts"]) for r in keys} == {("ok", 1)}  # nothing sent twice


def test_sigkill_inside_the_round_resumes_without_resending(tmp_path: Path) -> None:
    ref_root, root = tmp_path / "ref", tmp_path / "killed"
    ref = _project(ref_root, **slowfake())
    proc = run_cli("run", str(ref), "-q", cwd=ref_root)
    assert proc.returncode == 0, proc.stderr
    reference = ref_root / "runs" / "r"
    report = (reference / "report.html").read_text("utf-8")
    assert "Student feedback: 1 round(s) of 4 extra generations (embed_lr:minilm on 4 " in report

    cfg = _project(root, feedback=False, **slowfake())  # the round comes from --set
    sets = (
        "--set",
        "generation.feedback_rounds=1",
        "--set",
        f"generation.feedback_budget={BUDGET}",
    )
    log, marker = root / "sends.log", root / "hung"
    env = {"SYNTH_HANG": f"request:{FIRST + 2}", "SYNTH_HANG_MARKER": str(marker),
           "SYNTH_SEND_LOG": str(log)}  # fmt: skip
    proc2 = start_cli("generate", str(cfg), "-q", *sets, cwd=root, env=env)
    deadline = time.time() + 150
    while not marker.exists() and proc2.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if not marker.exists():
        proc2.kill()
        pytest.fail(f"the run never reached request {FIRST + 2}: {proc2.communicate()[1]}")
    os.kill(proc2.pid, signal.SIGKILL)
    assert proc2.wait(30) == -signal.SIGKILL
    proc2.communicate()
    answered = [x.split()[1] for x in log.read_text().splitlines() if x.startswith("done ")]
    assert len(answered) == FIRST + 1  # the first pass and one request of the round

    done = run_cli("generate", str(cfg), "-q", *sets, cwd=root, env={"SYNTH_SEND_LOG": str(log)})
    assert done.returncode == 0, done.stderr
    run = root / "runs" / "r"
    for name in ("generations.parquet", "dropped.parquet"):
        assert table_rows(run / "05_generate" / name) == table_rows(
            reference / "05_generate" / name
        )
    keys = ledger(run)
    assert len(keys) == FIRST + BUDGET
    assert {(r["status"], r["attempts"]) for r in keys} == {("ok", 1)}
    answered = [x.split()[1] for x in log.read_text().splitlines() if x.startswith("done ")]
    assert sorted(answered) == sorted(r["key"] for r in keys)  # no answered request resent


def test_a_round_without_a_budget_is_a_config_error(tmp_path: Path) -> None:
    cfg = _project(tmp_path, feedback=False)
    proc = run_cli("generate", str(cfg), "-q", "--set", "generation.feedback_rounds=1",
                   cwd=tmp_path, hooks=False)  # fmt: skip
    assert proc.returncode == 2
    assert error_line(proc) == (
        f"error: {cfg}: generation: feedback_rounds=1 needs feedback_budget > 0 (the extra "
        "generations per round), or set feedback_rounds to 0 (got dict). Fix: see "
        "`synthesizrr validate --help` and examples/"
    )
