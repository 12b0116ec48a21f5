"""The drops section: what parsing dropped and refinement removed, with reasons."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.rundata import Missing, RunData
from synthesizrr.report.sections.fragments import cut, e, na
from synthesizrr.report.settings import ReportSettings


def drops(run: RunData, settings: ReportSettings) -> str:
    parts = []
    for stage, filename, title in (("generate", "dropped.parquet", "Dropped while parsing"),
                                   ("refine", "removed.parquet", "Removed by refinement")):  # fmt: skip
        t = run.table(stage, filename)
        if isinstance(t, Missing):
            parts.append(f"<h3>{e(title)}</h3>{na(t)}")
            continue
        if "reason" not in t.column_names:
            parts.append(f"<h3>{e(title)}</h3>{na(f'{filename} has no reason column')}")
            continue
        rows = t.to_pylist()
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(str(r.get("reason")).split(":")[0], []).append(r)
        body = []
        for reason, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            ex = " ".join(
                f"<q>{e(cut(x.get('text') or x.get('raw') or '', 200))}</q>"
                for x in rs[: settings.examples_per_reason]
            )
            body.append(f"<tr><td>{e(reason)}</td><td>{len(rs)}</td><td>{ex}</td></tr>")
        parts.append(f"<h3>{e(title)}: {len(rows)} rows</h3>" + (
            "<table><thead><tr><th>Reason</th><th>Rows</th><th>Examples</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>" if rows else "<p>none</p>"))  # fmt: skip
    return "".join(parts)
