"""The human-facing outputs of a run: report.html, the dataset card, run comparisons.

    write_report(run_dir, out, *, compare=())    self-contained HTML page (inline SVG plots)
    write_dataset_card(run_dir, out)              dataset/README.md with `datasets` front matter
    compare_runs(run_dirs) -> Comparison          .rows, .to_rich_table(), .to_markdown()
    compare_page.write_comparison(run_dirs, out)  runs side by side on one page (the demo's)
    hub.publish(run_dir, repo_id, ...)            push dataset, card, config, manifest, metrics
    export.export_run(run_dir, out_dir, fmt)      argilla (from_disk layout), jsonl, parquet, csv

Every function reads the run directory defensively: a missing stage, file or metric
shows as "not available (reason)" instead of failing.
"""

from __future__ import annotations

from synthesizrr.report.card import render_card, write_dataset_card
from synthesizrr.report.compare import Comparison, compare_runs
from synthesizrr.report.page import SECTIONS, render_report, write_report
from synthesizrr.report.rundata import RunData
from synthesizrr.report.settings import ReportSettings

__all__ = [
    "SECTIONS",
    "Comparison",
    "ReportSettings",
    "RunData",
    "compare_runs",
    "render_card",
    "render_report",
    "write_dataset_card",
    "write_report",
]
