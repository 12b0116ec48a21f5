"""The stages section: status, time and summary of each stage."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.rundata import RunData
from synthesizrr.report.sections.fragments import fmt, na, table
from synthesizrr.report.settings import ReportSettings


def stages(run: RunData, settings: ReportSettings) -> str:
    if not run.stages:
        return na("manifest.json has no stage records")
    rows = []
    for name, st in run.stages.items():
        raw = st.get("summary")
        summ: dict[str, Any] = raw if isinstance(raw, dict) else {}
        brief = ", ".join(
            f"{k}={fmt(v, 3)}" for k, v in summ.items() if not isinstance(v, dict | list)
        )
        status = st.get("status", "n/a")
        if name == "report" and status == "running":
            status = "running (writing this report)"
        rows.append((name, status, fmt(st.get("seconds"), 1),
                     st.get("finished", ""), st.get("error") or brief))  # fmt: skip
    return table(["Stage", "Status", "Seconds", "Finished", "Summary"], rows)
