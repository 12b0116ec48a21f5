"""The raw files sections: metrics.json and the config."""

from __future__ import annotations

import json

from synthesizrr.report.rundata import RunData
from synthesizrr.report.sections.fragments import e, na
from synthesizrr.report.settings import ReportSettings


def metrics_json(run: RunData, settings: ReportSettings) -> str:
    missing = run.metrics_missing()
    if missing is not None:
        return na(missing)
    text = json.dumps(run.metrics, indent=2, ensure_ascii=False, default=str)
    return f"<details open><summary>metrics.json</summary><pre>{e(text)}</pre></details>"


def config(run: RunData, settings: ReportSettings) -> str:
    p = run.path / "config.yaml"
    if p.is_file():
        text = p.read_text("utf-8", errors="replace")
    elif run.config:
        text = json.dumps(run.config, indent=2, ensure_ascii=False)
    else:
        return na("no config.yaml and no config in manifest.json")
    return f"<details><summary>config.yaml</summary><pre>{e(text)}</pre></details>"
