"""The report's sections, one module each. Each builder takes the run (and the report
settings) and returns an HTML fragment.

Every piece of data goes through :func:`html.escape` (corpus text is untrusted). A
builder that finds its inputs missing returns "not available (reason)"; the page
assembler also catches any unexpected error per section, so one broken file never
costs the whole report. A new section is a module here, exported below and listed in
``report/page.py``.
"""

from __future__ import annotations

from synthesizrr.report.sections.comparison import comparison
from synthesizrr.report.sections.confusion import confusion
from synthesizrr.report.sections.datamap import datamap
from synthesizrr.report.sections.drops import drops
from synthesizrr.report.sections.fragments import na
from synthesizrr.report.sections.labels import labels
from synthesizrr.report.sections.metrics import metrics
from synthesizrr.report.sections.overview import overview
from synthesizrr.report.sections.per_label import per_label
from synthesizrr.report.sections.raw import config, metrics_json
from synthesizrr.report.sections.samples import samples
from synthesizrr.report.sections.seeds_baseline import seeds_baseline_panel
from synthesizrr.report.sections.stages import stages

__all__ = [
    "comparison", "config", "confusion", "datamap", "drops", "labels", "metrics",
    "metrics_json", "na", "overview", "per_label", "samples", "seeds_baseline_panel", "stages",
]  # fmt: skip
