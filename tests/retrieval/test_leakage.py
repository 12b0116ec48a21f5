"""Leakage check of seeds and corpus against the test set (issue #15 item 11)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from synthesizrr.config import config_from_dict
from synthesizrr.pipeline import runner
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import StageContext
from synthesizrr.pipeline.stages import leakage
from synthesizrr.retrieval.leakage import HeldOutIndex, check_texts

LONG = ("the central bank raised interest rates by half a point on tuesday citing stubborn "
        "inflation in services and housing")  # 19 words  # fmt: skip


def test_exact_and_ngram_matches() -> None:
    index = HeldOutIndex.build([LONG, "Short headline here", "Another one"], ngram=13)
    assert index.match("The Central Bank raised interest-rates by half a point, on Tuesday "
                       "citing stubborn inflation in services and housing!") == ("exact", 0)  # fmt: skip
    inner = "Markets fell. " + " ".join(LONG.split()[3:16]) + " Analysts were surprised."
    assert index.match(inner) == ("ngram", 0)  # 13 shared words inside other text
    assert index.match(" ".join(LONG.split()[3:15])) is None  # 12 words are not enough
    assert index.match("short HEADLINE, here.") == ("exact", 1)
    assert index.match("a short headline here") is None  # short texts: equality only
    found = check_texts([("p1", inner), ("p2", "nothing"), ("p3", "Another one")], index)
    assert found.to_dict() == {
        "checked": 3, "exact": 1, "ngram": 1, "test_texts_hit": 2,
        "examples": [{"id": "p1", "match": "ngram", "test_row": 0},
                     {"id": "p3", "match": "exact", "test_row": 2}],
    }  # fmt: skip


def _setup(tmp_path: Path, mode: str) -> Any:
    (tmp_path / "train.csv").write_text(
        "text,label\nAnother one,a\nseed text about b here,b\nseed about a,a\nmore b text,b\n"
    )
    (tmp_path / "test.csv").write_text(f"text,label\n{LONG},a\nAnother one,a\nunrelated,b\n")
    (tmp_path / "corpus.jsonl").write_text(
        json.dumps({"id": "d1", "text": "Reuters reports " + LONG + " and more words here"})
        + "\n"
        + json.dumps({"id": "d2", "text": "a passage about nothing in particular at all"})
        + "\n"
    )
    raw: dict[str, Any] = {
        "name": f"leak_{mode}", "run_dir": str(tmp_path / "runs"),
        "task": {"labels": {"a": "about a", "b": "about b"}, "instruction": "Write {label}."},
        "seeds": {"path": "train.csv", "per_label": 2},
        "generation": {"prompt": {"mode": mode}},
        "evaluation": {"test_path": "test.csv"},
    }  # fmt: skip
    if mode == "retricl":
        raw["corpus"] = {"path": "corpus.jsonl", "min_tokens": 1}
    return config_from_dict(raw, base_dir=tmp_path)


def test_stage_records_leaks_in_manifest_and_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = _setup(tmp_path, "retricl")
    rundir = runner.execute(cfg, until="corpus").run_dir
    ctx = StageContext(cfg, RunDir(cfg.run_path))
    out = tmp_path / "leak_out"
    out.mkdir()
    with caplog.at_level(logging.WARNING):
        summary = leakage.run(ctx, out).summary
    assert summary == {"test_texts": 3, "ngram": 13, "seeds_checked": 4, "seeds_leaking": 1,
                       "passages_checked": 2, "passages_leaking": 1,
                       "test_texts_retrievable": 1, "seed_test_texts_hit": 1}  # fmt: skip
    saved = json.loads((out / "leakage.json").read_text())
    assert saved["passages"]["examples"] == [{"id": "d1#0", "match": "ngram", "test_row": 0}]
    assert "leakage: 1 test text(s) are retrievable" in caplog.text
    assert rundir.path.is_dir()


def test_fewgen_run_checks_seeds_before_generation(tmp_path: Path) -> None:
    cfg = _setup(tmp_path, "fewgen")
    events: list[tuple[str, str]] = []
    rundir = runner.execute(
        cfg, until="leakage", on_event=lambda s, st, _: events.append((s, st))
    ).run_dir
    assert events == [("seeds", "running"), ("seeds", "done"), ("corpus", "not needed"),
                      ("index", "not needed"), ("retrieve", "not needed"),
                      ("leakage", "running"), ("leakage", "done")]  # fmt: skip
    manifest = json.loads((rundir.path / "manifest.json").read_text())
    assert manifest["stages"]["leakage"]["summary"] == {
        "test_texts": 3, "ngram": 13, "seeds_checked": 4, "seeds_leaking": 1,
        "seed_test_texts_hit": 1,
    }  # fmt: skip
    no_check = cfg.model_copy(update={"evaluation": cfg.evaluation.model_copy(
        update={"leakage_check": False})})  # fmt: skip
    assert "leakage" not in runner.fingerprints(no_check)
