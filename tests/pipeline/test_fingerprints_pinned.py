"""Stage fingerprints of fixed configs, pinned to the values the code of commit e7030da gave.

A run directory resumes (every stage skipped) only while these stay the same: a change
here means every existing run reruns from the changed stage on. Change a pinned value only
on purpose, and say so in the change log. The data files are absent, so only the config
enters the fingerprints (a present file adds its path, size and mtime).
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
        "retrieve": "cc7a3d249a39230b",
        "generate": "a0121d3264a677e0",
        "refine": "8c4747a5f486244b",
        "evaluate": "6ede4aefc5935b14",
        "report": "d2315115f8e5c2a9",
    }


def test_fewgen_run_fingerprints_are_pinned() -> None:
    raw = _raw()
    del raw["corpus"]
    raw["generation"]["prompt"] = {"mode": "fewgen", "shots": 2}
    cfg = config_from_dict(raw, base_dir=Path("/nonexistent-base"))
    assert fingerprints(cfg) == {
        "seeds": "7738457265a4bdc8",
        "generate": "75b29241a554f53e",
        "refine": "892d072d26b92193",
        "evaluate": "a9ff01f4f24847b4",
        "report": "ce4eff3333bde625",
    }


def test_budget_and_transport_settings_do_not_enter_the_generate_fingerprint() -> None:
    raw = _raw()
    raw["generation"]["budget"] = {"max_requests": 7, "abort_after_failures": 3}
    raw["generation"]["llm"] = {"backend": "fake", "concurrency": 9, "timeout_s": 5}
    cfg = config_from_dict(raw, base_dir=Path("/nonexistent-base"))
    assert fingerprints(cfg)["generate"] == "a0121d3264a677e0"


def test_a_setting_added_later_enters_the_fingerprint_only_when_set() -> None:
    raw = _raw()
    raw["evaluation"]["metrics"]["embed_backend"] = "torch"  # the default: as before it existed
    same = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert same["evaluate"] == "6ede4aefc5935b14"
    raw["evaluation"]["metrics"]["embed_backend"] = "onnx"
    changed = fingerprints(config_from_dict(raw, base_dir=Path("/nonexistent-base")))
    assert changed["evaluate"] != "6ede4aefc5935b14"
    assert changed["refine"] == "8c4747a5f486244b"  # upstream stages keep theirs
