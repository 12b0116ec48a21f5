"""Stage fingerprints of fixed configs, pinned.

A run directory resumes (every stage skipped) only while these stay the same: a change
here means every existing run reruns from the changed stage on. Change a pinned value only
on purpose, and say so here and in the change log. The data files are absent, so only the
config enters the fingerprints (a present file adds its path, size and mtime).

Pinned first to the values the code of commit e7030da gave. Changed on purpose since:

- merges #14, #15, #16, #17 (after ce0f0dc): ``retrieve`` (#15: percentile similarity
  bands ``sim_band``/``shot_sim_band`` are the new default for the bundled embedder, and
  ``article_pattern`` keeps a shot off the rewritten article); ``generate`` (#14: requests
  carry ``top_k``/``min_p`` explicitly, which changes their cache keys; #15: documents and
  shots are drawn anew, see ``retrieval/draw.py``); ``evaluate`` (#15: MAUVE scaling 1
  and 5 k-means seeds, bootstrap intervals for the student; #17: the seeds-only
  baseline); ``refine`` and ``report`` follow their inputs (and #15's quantile rule of
  cartography). #15 also adds the ``leakage`` stage wherever a test set is set. The
  ``index`` fingerprint is unchanged (the new retrieval fields are query settings), and
  fields added at their default that build what was built before (``prompt.layout``,
  ``prompt.shot_groups``, ``evaluation.size``, the transformer oracle's settings) enter
  only when set.
- the second session of 2026-12-01: ``evaluate`` (and ``report``, which follows it) because
  MAUVE's features default to the embedded teacher's hidden states (#15 item 5:
  ``metrics.mauve_features: smollm2``, no longer the retriever's MiniLM). The metric
  intervals (``metrics.bootstrap``, ``metrics.mauve_bootstrap``) and
  ``llm.llamacpp.parallel`` enter nothing at their defaults.
- the fourth session of 2026-12-01 (#16): ``refine`` (version 2: the seed-only label check
  is on by default, ``refine.label_check.enabled: null``) and ``evaluate`` and ``report``,
  which follow it. ``paths_relative_to`` (the run folder's copy of a config) enters none.
  ``generate`` (version 2: ``prompt.shot_groups`` defaults to 4, #14's measurement), and
  every stage after it.
- the fifth session of 2026-12-01: ``evaluate`` and ``report`` (``evaluation.
  synthetic_weight`` defaults to 0.5, measured in ``bench/distill/SYNTHETIC_WEIGHT.md``:
  a run evaluated with every synthetic row at weight 1 scores its seeds + synthetic
  student again; nothing is regenerated).
- 2026-12-03: ``generate`` (version 3: the retrieval modes' document draw is the head of
  one seeded shuffle and shot groups form greedily in its order, so raising
  ``generation.per_label`` keeps the requests planned before) and every stage after it.
- 2026-12-05: ``evaluate`` and ``report`` (``evaluation.student.class_weight`` defaults to
  ``balanced``, measured in ``bench/distill/STUDENT_SETTINGS.md``, and enters the
  fingerprint at every value, so a run evaluated unweighted scores its students again;
  nothing is regenerated).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthesizrr.config import config_from_dict
from synthesizrr.pipeline.runner import fingerprints


def _raw() -> dict[str, Any]:
    return {
        "name": "pin",
        "run_dir": "runs",
        "seed": 3,
        "task": {
            "labels": {"sports": "sports news", "business": "business news"},
            "instruction": "Write a short news summary about {label_description}.",
        },
        "seeds": {"path": "absent/seeds.csv", "per_label": 4},
        "corpus": {"path": "absent/corpus.jsonl", "min_tokens": 5},
        "retrieval": {"retriever": "bm25", "top_k": 10, "sim_min": None, "sim_max": None},
        "generation": {
            "per_label": 6,
            "prompt": {"mode": "retricl", "shots": 1},
            "llm": {"backend": "fake"},
            "budget": {"max_requests": 50},
        },
        "refine": {"cartography": {"enabled": False}, "near_dup": False},
        "evaluation": {"metrics": {"metrics": ["distinct_n"]}, "test_path": "absent/test.csv"},
    }


def test_retrieval_run_fingerprints_are_pinned() -> None:
    cfg = config_from_dict(_raw(), base_dir=Path("/nonexistent-base"))
    assert fingerprints(cfg) == {
        "seeds": "7738457265a4bdc8",
        "corpus": "2b904f49e4ed1246",
        "index": "db808e17f326904e",
        "retrieve": "295d527236bb0664",
        "leakage": "cf2f8a27deccbc73",
        "generate": "131c19b4bc81aef5",
        "refine": "b1f73ce012ad66bb",
        "evaluate": "9e28437ea02930fe",
        "report": "96dc25b217e2a90c",
    }


def test_fewgen_run_fingerprints_are_pinned() -> None:
    raw = _raw()
    del raw["corpus"]
    raw["generation"]["prompt"] = {"mode": "fewgen", "shots": 2}
    cfg = config_from_dict(raw, base_dir=Path("/nonexistent-base"))
    assert fingerprints(cfg) == {
        "seeds": "7738457265a4bdc8",
        "leakage": "a672a47e087cf4ca",
        "generate": "a76f50d33e1230fa",
        "refine": "9d5317dd5e1b8c15",
        "evaluate": "a2a7ff722ccc5c4b",
        "report": "a7d933efb8d71c6a",
    }


def test_budget_and_transport_settings_do_not_enter_the_generate_fingerprint() -> None:
    raw = _raw()
    raw["generation"]["budget"] = {"max_requests": 7, "abort_after_failures": 3}
    raw["generation"]["llm"] = {"backend": "fake", "concurrency": 9, "timeout_s": 5}
    cfg = config_from_dict(raw, base_dir=Path("/nonexistent-base"))
    assert fingerprints(cfg)["generate"] == "131c19b4bc81aef5"


def test_a_setting_added_later_enters_the_fingerprint_only_when_set() -> None:
    raw = _raw()
    raw["evaluation"]["metrics"]["embed_backend"] = "torch"  # the default: as before it existed
    same = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert same["evaluate"] == "9e28437ea02930fe"
    raw["evaluation"]["metrics"]["embed_backend"] = "onnx"
    changed = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert changed["evaluate"] != "9e28437ea02930fe"
    assert changed["refine"] == "b1f73ce012ad66bb"  # upstream stages keep theirs


def test_settings_added_by_the_merged_issues_enter_only_when_set() -> None:
    before = fingerprints(config_from_dict(_raw(), base_dir=Path("/nonexistent-base")))
    raw = _raw()
    raw["generation"]["prompt"].update(layout="turns", shot_groups=4)  # the defaults
    raw["evaluation"].update(size=None, leakage_ngram=13)
    raw["evaluation"]["metrics"]["oracle_epochs"] = 3
    assert fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base"))) == before
    raw["generation"]["prompt"]["shot_groups"] = 2
    raw["evaluation"]["leakage_ngram"] = 20  # the leakage stage's, never evaluate's
    changed = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert changed["generate"] != before["generate"]
    assert changed["leakage"] != before["leakage"]
    assert changed["retrieve"] == before["retrieve"]
    raw = _raw()
    raw["evaluation"]["leakage_ngram"] = 20
    only_leakage = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert {k for k in before if only_leakage[k] != before[k]} == {"leakage"}
