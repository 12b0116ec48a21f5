"""The metrics section: each metric's value and signature."""

from __future__ import annotations

from typing import Any

from synthesizrr.report import svg
from synthesizrr.report.rundata import RunData, number
from synthesizrr.report.sections.fragments import fmt, na, table
from synthesizrr.report.settings import ReportSettings


def _interval(ci: Any) -> str:
    """``[low, high]`` of a metric's bootstrap interval; empty where there is none."""
    if not isinstance(ci, list) or len(ci) != 2:
        return ""
    low, high = number(ci[0]), number(ci[1])
    return "" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


def metrics(run: RunData, settings: ReportSettings) -> str:
    missing = run.metrics_missing()
    if missing is not None:
        return na(missing)
    mets = (run.metrics or {}).get("metrics")
    if not isinstance(mets, dict) or not mets:
        return na("metrics.json lists no metrics")
    rows = []
    for name, m in mets.items():
        if not isinstance(m, dict):
            continue
        raw = m.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if m.get("value") is None and "skipped" in details:
            value, shown = "skipped", str(details["skipped"])
        else:
            value = fmt(m.get("value"))
            shown = ", ".join(f"{k}: {fmt(v, 3)}" for k, v in list(details.items())[:12]
                              if not isinstance(v, dict | list))  # fmt: skip
        better = m.get("higher_is_better")
        direction = "↑" if better is True else "↓" if better is False else ""
        rows.append((m.get("name", name), direction, value, _interval(m.get("ci")), shown,
                     m.get("signature", "")))  # fmt: skip
    html = table(["Metric", "Better", "Value", "95% interval", "Details", "Signature"], rows,
                 cls="metrics")  # fmt: skip
    per_n = [(str(n), number(run.metric_detail("self_bleu", str(n)))) for n in range(1, 6)]
    if any(v is not None for _, v in per_n):
        html += svg.bar_chart([f"Self-BLEU-{n}" for n, _ in per_n], {"this run": [v for _, v in per_n]},
                              title="Self-BLEU by n-gram order (lower is more diverse)",
                              digits=3, max_value=1.0)  # fmt: skip
    per_type = run.metric_detail("entity_entropy", "per_type")
    if isinstance(per_type, dict) and per_type:
        types = sorted(str(t) for t in per_type)
        html += svg.bar_chart(types, {"entropy (bits)": [number(per_type[t]) for t in types]},
                              title="Entity entropy per entity type (higher is more diverse)",
                              digits=2)  # fmt: skip
        html += _entity_table(run, per_type)
    return html


def _entity_table(run: RunData, per_type: dict[str, Any]) -> str:
    """Entity entropy per type beside the pooled value, with the entity counts."""
    raw = run.metric_detail("entity_entropy", "per_type_counts")
    counts: dict[str, Any] = raw if isinstance(raw, dict) else {}
    pooled = ("all types (pooled)", fmt(run.metric_detail("entity_entropy", "n_entities")),
              fmt(run.metric_value("entity_entropy"), 2))  # fmt: skip
    rows = [pooled] + [
        (str(t), fmt(counts.get(t)), fmt(number(per_type[t]), 2))
        for t in sorted(per_type, key=lambda t: (-(number(counts.get(t)) or 0), str(t)))
    ]
    return table(["Entity type", "Entities", "Entropy (bits)"], rows)
