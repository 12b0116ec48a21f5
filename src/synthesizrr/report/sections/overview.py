"""The overview section: the run at a glance."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.compare import percent_pm
from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.sections.fragments import cards, e, fmt, table
from synthesizrr.report.sections.seeds_baseline import seeds_baseline_panel
from synthesizrr.report.settings import ReportSettings


def overview(run: RunData, settings: ReportSettings) -> str:
    task = run.task
    rows = [
        ("Run", run.name),
        ("Folder", str(run.path)),
        ("Task", f"{task.get('name', 'n/a')}: {task.get('description', '')}".rstrip(": ")),
        ("Labels", ", ".join(run.labels) or "n/a"),
        ("Teacher", run.teacher or "n/a"),
        ("Prompt mode", run.mode or "n/a"),
        ("Run seed", run.manifest.get("seed", "n/a")),
        ("Final size", fmt(run.size)),
        ("Created", run.manifest.get("created", "n/a")),
        ("Updated", run.manifest.get("updated", "n/a")),
    ]
    versions = run.manifest.get("versions")
    if isinstance(versions, dict) and versions:
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    html = seeds_baseline_panel(run) + table([], rows, cls="kv")
    student, gold = run.student("student"), run.student("gold")
    headline = [
        ("Student accuracy", _pm(student, "accuracy")),
        ("Student macro-F1", _pm(student, "macro_f1")),
        ("Gold accuracy", _pm(gold, "accuracy")),
        ("Self-BLEU-4 ↓", fmt(run.metric_detail("self_bleu", "4"), 3)),
        ("Entity entropy ↑", fmt(run.metric_value("entity_entropy"), 2)),
        ("MAUVE ↑", fmt(run.metric_value("mauve"), 3)),
    ]
    html += cards(headline)
    if run.problems:
        html += "<p class='warn'>Problems reading this run: " + e("; ".join(run.problems)) + "</p>"
    if run.warnings:
        items = "".join(f"<li>{e(w)}</li>" for w in run.warnings)
        html += f"<div class='warn'>Warnings:<ul>{items}</ul></div>"
    return html


def _pm(rep: dict[str, Any] | Missing, key: str) -> str:
    if isinstance(rep, Missing):
        return "n/a"
    mean, std = number(rep.get(f"{key}_mean")), number(rep.get(f"{key}_std"))
    if mean is None:
        return "n/a"
    ci = rep.get(f"{key}_ci")
    if (
        std is None
        and isinstance(ci, list)
        and len(ci) == 2
        and all(number(v) is not None for v in ci)
    ):
        lo, hi = (float(number(v) or 0.0) * 100 for v in ci)
        return f"{mean * 100:.1f} % (95% CI {lo:.1f}–{hi:.1f})"
    return f"{percent_pm(mean, std)} %"
