"""bench/generation/speedup.py: a mode measured by another invocation keeps its own settings."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "generation"))

import speedup  # noqa: E402


def _side(ex_s: float) -> dict:
    return {"examples_per_s": ex_s, "seconds": [10.0], "keep_rate": 0.9,
            "prompt_tokens_per_request": 100.0, "evaluated_prompt_tokens_per_request": 50.0,
            "evaluated_tokens_per_unique_token": 1.01, "completion_tokens_per_request": 20.0,
            "same_texts_every_round": True}  # fmt: skip


def test_a_later_invocation_adds_its_mode_and_keeps_the_earlier_modes_settings(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.json"
    old_workload = {"groups": 8, "parallel": 8, "threads": 2, "rounds": 1}
    path.write_text(json.dumps({
        "embedded_speedup": {"retricl_3": 2.0},
        "embedded_speedup_detail": {
            "workload": old_workload,
            "modes": {"retricl_3": {"requests": 48, "previous": _side(0.1), "new": _side(0.2),
                                    "speedup": 2.0, "run": {"command": "first"}}},
        },
    }))  # fmt: skip
    args = SimpleNamespace(groups=8, base="e7030da", parallel=1, threads=2, rounds=1,
                           results=str(path))  # fmt: skip
    fresh = {"fewgen_32": {"requests": 64, "previous": _side(0.03), "new": _side(0.18),
                           "speedup": 6.0}}  # fmt: skip
    speedup.save(args, fresh, time.time(), 0.0)

    data = json.loads(path.read_text())
    assert data["embedded_speedup"] == {"retricl_3": 2.0, "fewgen_32": 6.0}
    modes = data["embedded_speedup_detail"]["modes"]
    assert modes["retricl_3"]["workload"] == old_workload
    assert modes["retricl_3"]["run"] == {"command": "first"}
    assert modes["fewgen_32"]["workload"]["parallel"] == 1
    assert modes["fewgen_32"]["requests"] == 64
    speedup.save(args, {}, time.time(), 0.0)  # saved again: the kept settings do not change
    again = json.loads(path.read_text())["embedded_speedup_detail"]["modes"]
    assert again["retricl_3"]["workload"] == old_workload
    assert again["fewgen_32"]["workload"]["parallel"] == 1
