"""The comparison section: this run beside the runs it is compared with."""

from __future__ import annotations

from synthesizrr.report import svg
from synthesizrr.report.compare import Comparison
from synthesizrr.report.rundata import RunData, number
from synthesizrr.report.sections.fragments import e, na, table
from synthesizrr.report.settings import ReportSettings


def comparison(run: RunData, settings: ReportSettings, cmp: Comparison, notes: list[str]) -> str:
    rows = cmp.rows
    names = [str(r["run"]) for r in rows]
    html = ""
    if len(rows) < 2:  # a chart with one bar compares nothing: the table alone
        html += ('<p class="na">no other runs to compare against (pass compare=[...] or '
                 "use `synthesizrr compare`); this run alone is shown.</p>")  # fmt: skip
    charts = (
        ("self_bleu_4", "Self-BLEU-4 per run (lower is more diverse)", 3),
        ("self_bleu_5", "Self-BLEU-5 per run (lower is more diverse)", 3),
        ("entity_entropy", "Entity entropy per run (higher is more diverse)", 2),
    )
    for key, title, digits in charts if len(rows) >= 2 else ():
        vals = [number(r.get(key)) for r in rows]
        if any(v is not None for v in vals):
            html += svg.bar_chart(names, {key: vals}, title=title, digits=digits,
                                  highlight=run.name)  # fmt: skip
        else:
            html += f"<h3>{e(title)}</h3>" + na(f"no run has {key}")
    headers = [c.header for c in cmp.columns]
    html += table(headers, cmp.cells(), cls="compare")
    for note in notes:
        html += f'<p class="na">{e(note)}</p>'
    return html
