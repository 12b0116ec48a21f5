"""The confusion section: the student's confusion matrix on the real test set."""

from __future__ import annotations

from synthesizrr.report import svg
from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.sections.fragments import e, na
from synthesizrr.report.settings import ReportSettings


def confusion(run: RunData, settings: ReportSettings) -> str:
    parts = []
    for which, title in (("student", "Student (trained on the synthetic data)"),
                         ("gold", "Gold (trained on as many real rows)")):  # fmt: skip
        rep = run.student(which)
        if isinstance(rep, Missing):
            parts.append(f"<div><h3>{e(title)}</h3>{na(rep)}</div>")
            continue
        conf = rep.get("confusion")
        labs = [str(x) for x in rep.get("labels") or run.labels]
        if not isinstance(conf, list) or len(conf) != len(labs) or not labs:
            parts.append(f"<div><h3>{e(title)}</h3>{na('no confusion matrix in the report')}</div>")
            continue
        m = [[number(v) or 0.0 for v in row] for row in conf]
        parts.append(f"<div>{svg.heatmap(m, labs, title=title)}</div>")
    return '<div class="row">' + "".join(parts) + "</div>"
