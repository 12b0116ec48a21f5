"""The stages section says what a feedback round did: its budget, the held-out seed
accuracy before and after, the confused pairs and where the budget went."""

from __future__ import annotations

import json
import re
from pathlib import Path

from report_fakes import make_fake_run

from synthesizrr.report import render_report

FEEDBACK = {
    "rounds": 1, "budget_per_round": 12, "heldout_seeds": 8, "heldout_fraction": 0.4,
    "student": "embed_lr:minilm", "accuracy_before": 0.625, "accuracy_after": 0.75,
    "per_round": [{
        "round": 1, "accuracy": 0.625, "errors": {"World": 0, "Business": 2, "Sci/Tech": 1},
        "confused_pairs": [["Business", "Sci/Tech", 2], ["Sci/Tech", "World", 1]],
        "allocated": {"World": 0, "Business": 8, "Sci/Tech": 4}, "planned": 12, "kept": 11,
        "accuracy_after": 0.75,
    }],
}  # fmt: skip


def _stages(html: str) -> str:
    m = re.search(r'<section id="stages">(.*?)</section>', html, re.S)
    assert m is not None
    return m.group(1)


def test_the_round_is_one_paragraph_under_the_stages_table(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    path = run / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["stages"]["generate"]["summary"]["feedback"] = FEEDBACK
    path.write_text(json.dumps(manifest), "utf-8")
    assert (
        '<p class="m">Student feedback: 1 round(s) of 12 extra generations (embed_lr:minilm on 8 '
        "held-out seeds, which no prompt used); held-out seed accuracy 0.625 -&gt; 0.750. "
        "Round 1: confused Business as Sci/Tech x2, Sci/Tech as World x1; sent to Business 8, "
        "Sci/Tech 4, 12 planned, 11 kept.</p>"
    ) in _stages(render_report(run))


def test_a_run_without_feedback_has_no_such_line(tmp_path: Path) -> None:
    assert "Student feedback" not in _stages(render_report(make_fake_run(tmp_path)))
