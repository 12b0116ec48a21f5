"""The generate stage's ``teacher_seconds``: what its answers cost the teacher when they
were generated, kept in the request ledger, so a replay from the cache (a forced or
downstream-triggered rerun) reports the same seconds instead of the replay's near-zero
wall time."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reliability_kit import base_config, make_project

from synthesizrr.config import load_config
from synthesizrr.llm.registry import register_backend
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.pipeline import runner
from synthesizrr.testing import FakeLLM

DELAY = 0.05
REQUESTS = 12  # 2 labels x per_label 6


class _Slow(FakeLLM):
    name = "slow_for_seconds"

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> FakeLLM:
        return cls(concurrency=1, delay_s=DELAY)


def _generate_summary(run: Path) -> dict[str, object]:
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    return dict(manifest["stages"]["generate"]["summary"])


def test_a_replay_from_the_cache_keeps_the_first_runs_teacher_seconds(tmp_path: Path) -> None:
    register_backend(_Slow.name, _Slow)
    cfg = load_config(make_project(tmp_path, base_config(backend=_Slow.name)))
    os.chdir(tmp_path)
    run = tmp_path / "runs" / "r"
    runner.execute(cfg, until="generate")
    first = _generate_summary(run)
    assert first["planned"] == REQUESTS
    assert float(first["teacher_seconds"]) >= round(REQUESTS * DELAY, 1)  # type: ignore[arg-type]
    assert "untimed_responses" not in first

    runner.execute(cfg, until="generate", force=["generate"])  # every answer from the cache
    again = _generate_summary(run)
    assert again["teacher_seconds"] == first["teacher_seconds"]
    assert {k: v for k, v in again.items() if k != "teacher_seconds"} == {
        k: v for k, v in first.items() if k != "teacher_seconds"
    }
