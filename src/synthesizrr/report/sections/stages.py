"""The stages section: status, time and summary of each stage."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.rundata import RunData
from synthesizrr.report.sections.feedback import feedback_line
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
        warned = summ.get("warnings")
        if isinstance(warned, list) and warned:
            brief += "; warning: " + "; ".join(str(w) for w in warned)
        status, seconds, finished = st.get("status", "n/a"), st.get("seconds"), st.get("finished")
        if name == "report" and status == "running":  # the stage writing this very page
            status, finished, brief = "done", _now(), "this page"
            seconds = _seconds_since(st.get("started"))
        rows.append((name, status, fmt(seconds, 1), finished or "", st.get("error") or brief))
    return table(["Stage", "Status", "Seconds", "Finished", "Summary"], rows) + feedback_line(run)


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _seconds_since(started: Any) -> float | None:
    from datetime import datetime, timezone

    try:
        then = datetime.fromisoformat(str(started))
    except ValueError:
        return None
    return round((datetime.now(timezone.utc) - then).total_seconds(), 1)
