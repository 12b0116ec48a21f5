"""The per-label metrics section."""

from __future__ import annotations

from typing import Any

from synthesizrr.report import svg
from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.sections.fragments import na
from synthesizrr.report.settings import ReportSettings


def per_label_scores(
    rep: dict[str, Any], labels: list[str]
) -> dict[str, list[float | None]] | None:
    """Precision, recall and F1 per label from a confusion matrix (rows = true labels)."""
    conf = rep.get("confusion")
    labs = [str(x) for x in rep.get("labels") or labels]
    if not isinstance(conf, list) or len(conf) != len(labs) or not labs:
        return None
    m = [[number(v) or 0.0 for v in row] for row in conf]
    n = len(labs)
    if any(len(row) != n for row in m):
        return None
    out: dict[str, list[float | None]] = {"precision": [], "recall": [], "F1": []}
    for i in range(n):
        tp = m[i][i]
        pred = sum(m[r][i] for r in range(n))
        true = sum(m[i])
        p = tp / pred if pred else None
        r = tp / true if true else None
        f = 2 * p * r / (p + r) if p is not None and r is not None and (p + r) else None
        out["precision"].append(p)
        out["recall"].append(r)
        out["F1"].append(f if f is not None else (0.0 if p is not None and r is not None else None))
    return out


def per_label(run: RunData, settings: ReportSettings) -> str:
    parts = []
    student = run.student("student")
    if isinstance(student, Missing):
        parts.append(f"<h3>Student</h3>{na(student)}")
    else:
        labs = [str(x) for x in student.get("labels") or run.labels]
        scores = per_label_scores(student, run.labels)
        if scores is None:
            parts.append("<h3>Student</h3>" + na("the student report has no confusion matrix"))
        else:
            parts.append(svg.bar_chart(labs, scores, title="Student on the real test set, per label",
                                       digits=3, max_value=1.0))  # fmt: skip
    per = {
        name: _per_label_detail(run, metric)
        for name, metric in (("MAUVE", "mauve"), ("label preservation", "label_preservation"))
    }
    per = {k: v for k, v in per.items() if v}
    if per:
        cats = [lab for lab in run.labels if any(lab in v for v in per.values())]
        cats += sorted({lab for v in per.values() for lab in v} - set(cats))
        series = {k: [v.get(c) for c in cats] for k, v in per.items()}
        parts.append(svg.bar_chart(cats, series, title="Synthetic text against real data, per label "
                                   "(higher is better)", digits=3, max_value=1.0))  # fmt: skip
    else:
        parts.append("<h3>MAUVE and label preservation per label</h3>"
                     + na("metrics.json has no per-label MAUVE or label preservation"))  # fmt: skip
    return "".join(parts)


def _per_label_detail(run: RunData, metric: str) -> dict[str, float]:
    """``details.per_label`` of a metric as {label: value} (finite numbers only)."""
    raw = run.metric_detail(metric, "per_label")
    if not isinstance(raw, dict):
        return {}
    out = {str(k): number(v) for k, v in raw.items()}
    return {k: v for k, v in out.items() if v is not None}
