"""The feedback line under the stages table: the round(s), their budget, what they chased."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.rundata import RunData
from synthesizrr.report.sections.fragments import e, fmt


def feedback_line(run: RunData) -> str:
    """One paragraph on ``generation.feedback_rounds`` ("" where the run had none)."""
    gen = run.stages.get("generate", {})
    summary = gen.get("summary") if isinstance(gen, dict) else None
    fb = summary.get("feedback") if isinstance(summary, dict) else None
    if not isinstance(fb, dict):
        return ""
    rounds = [r for r in fb.get("per_round", []) if isinstance(r, dict)]
    parts = [
        f"Student feedback: {fmt(fb.get('rounds'))} round(s) of "
        f"{fmt(fb.get('budget_per_round'))} extra generations "
        f"({fmt(fb.get('student'))} on {fmt(fb.get('heldout_seeds'))} held-out seeds, "
        "which no prompt used); held-out seed accuracy "
        f"{fmt(fb.get('accuracy_before'), 3)} -> {fmt(fb.get('accuracy_after'), 3)}."
    ]
    for r in rounds:
        parts.append(f"Round {fmt(r.get('round'))}: {_pairs(r.get('confused_pairs'))}; "
                     f"{_allocated(r.get('allocated'))}, {fmt(r.get('planned'))} planned, "
                     f"{fmt(r.get('kept'))} kept.")  # fmt: skip
    if fb.get("skipped"):
        parts.append(f"Skipped {fb['skipped']}.")
    return f'<p class="m">{e(" ".join(parts))}</p>'


def _pairs(raw: Any) -> str:
    pairs = [p for p in raw if isinstance(p, list) and len(p) == 3] if isinstance(raw, list) else []
    if not pairs:
        return "no held-out seed misclassified"
    return "confused " + ", ".join(f"{t} as {p} x{n}" for t, p, n in pairs)


def _allocated(raw: Any) -> str:
    if not isinstance(raw, dict):
        return "nothing allocated"
    return "sent to " + ", ".join(f"{lab} {n}" for lab, n in raw.items() if n)
